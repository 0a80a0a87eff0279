// StudyStorage: the workers table, one row per worker process of a study, beaten by its
// heartbeat thread (trial_heartbeat.h); gpu_tune --list shows the live ones.
#include "engine/tune/sql_conn.h"
#include "engine/tune/study_storage.h"
#include "engine/tune/study_storage_rows.h"

namespace gd::tune {

using storage_detail::now_s;

void StudyStorage::beat_worker(const Study& s, const std::string& state, std::optional<int64_t> trial_id) {
  const double now = now_s();
  with_db("beat_worker", [&](sql::Connection& db, int) {
    db.exec("INSERT INTO workers (id, study_id, host, pid, state, trial_id, started_at, heartbeat_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
            "ON CONFLICT (id) DO UPDATE SET study_id = excluded.study_id, state = excluded.state, "
            "trial_id = excluded.trial_id, heartbeat_at = excluded.heartbeat_at",
            {worker_.id(), s.id, worker_.host, static_cast<int64_t>(worker_.pid), state, trial_id, now});
  });
}

std::vector<WorkerRecord> StudyStorage::live_workers(const Study& s, double within_s) {
  std::vector<WorkerRecord> out;
  with_db("live_workers", [&](sql::Connection& db, int) {
    out.clear();
    for (const sql::Row& r :
         db.query("SELECT w.id, w.host, w.pid, w.state, t.number, w.started_at, w.heartbeat_at FROM workers w "
                  "LEFT JOIN trials t ON t.id = w.trial_id "
                  "WHERE w.study_id = ?1 AND w.state <> 'stopped' AND w.heartbeat_at >= ?2 ORDER BY w.id",
                  {s.id, now_s() - within_s})) {
      WorkerRecord w;
      w.id = r.text_at(0);
      w.host = r.text_at(1);
      w.pid = static_cast<long>(r.int_at(2));
      w.state = r.text_at(3);
      if (const auto n = r.optional_int_at(4)) w.trial_number = static_cast<int>(*n);
      w.started_at = r.double_at(5);
      w.heartbeat_at = r.double_at(6);
      out.push_back(w);
    }
  });
  return out;
}

}  // namespace gd::tune
