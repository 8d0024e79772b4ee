//! Embedded migrations. Each database has its own folder (`migrations/sqlite`,
//! `migrations/postgres`) with matching version numbers; the files are compiled into the binary
//! so a deployed server needs nothing beside it. Applied versions are recorded in
//! `schema_migrations`; each migration runs in its own transaction.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "init", sql: include_str!("../../../migrations/sqlite/0001_init.sql") },
    Migration {
        version: 2,
        name: "security",
        sql: include_str!("../../../migrations/sqlite/0002_security.sql"),
    },
    Migration {
        version: 3,
        name: "sync_worker",
        sql: include_str!("../../../migrations/sqlite/0003_sync_worker.sql"),
    },
    Migration {
        version: 4,
        name: "list_indexes",
        sql: include_str!("../../../migrations/sqlite/0004_list_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "sync_config",
        sql: include_str!("../../../migrations/sqlite/0005_sync_config.sql"),
    },
    Migration {
        version: 6,
        name: "webhook_delivery",
        sql: include_str!("../../../migrations/sqlite/0006_webhook_delivery.sql"),
    },
    Migration { version: 7, name: "api", sql: include_str!("../../../migrations/sqlite/0007_api.sql") },
    Migration {
        version: 8,
        name: "hardening",
        sql: include_str!("../../../migrations/sqlite/0008_hardening.sql"),
    },
    Migration {
        version: 9,
        name: "classification",
        sql: include_str!("../../../migrations/sqlite/0009_classification.sql"),
    },
    Migration {
        version: 10,
        name: "run_classification",
        sql: include_str!("../../../migrations/sqlite/0010_run_classification.sql"),
    },
    Migration {
        version: 11,
        name: "issues",
        sql: include_str!("../../../migrations/sqlite/0011_issues.sql"),
    },
    Migration {
        version: 12,
        name: "notifications",
        sql: include_str!("../../../migrations/sqlite/0012_notifications.sql"),
    },
    Migration {
        version: 13,
        name: "rollups",
        sql: include_str!("../../../migrations/sqlite/0013_rollups.sql"),
    },
    Migration {
        version: 14,
        name: "outcome_rollups",
        sql: include_str!("../../../migrations/sqlite/0014_outcome_rollups.sql"),
    },
    Migration {
        version: 15,
        name: "retention",
        sql: include_str!("../../../migrations/sqlite/0015_retention.sql"),
    },
    Migration {
        version: 16,
        name: "request_combos",
        sql: include_str!("../../../migrations/sqlite/0016_request_combos.sql"),
    },
    Migration {
        version: 17,
        name: "request_log_indexes",
        sql: include_str!("../../../migrations/sqlite/0017_request_log_indexes.sql"),
    },
    Migration {
        version: 18,
        name: "backfills_key_scope",
        sql: include_str!("../../../migrations/sqlite/0018_backfills_key_scope.sql"),
    },
    Migration {
        version: 19,
        name: "hourly_rollups",
        sql: include_str!("../../../migrations/sqlite/0019_hourly_rollups.sql"),
    },
    Migration {
        version: 20,
        name: "daily_failure_rollups",
        sql: include_str!("../../../migrations/sqlite/0020_daily_failure_rollups.sql"),
    },
];

pub const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "init", sql: include_str!("../../../migrations/postgres/0001_init.sql") },
    Migration {
        version: 2,
        name: "security",
        sql: include_str!("../../../migrations/postgres/0002_security.sql"),
    },
    Migration {
        version: 3,
        name: "sync_worker",
        sql: include_str!("../../../migrations/postgres/0003_sync_worker.sql"),
    },
    Migration {
        version: 4,
        name: "list_indexes",
        sql: include_str!("../../../migrations/postgres/0004_list_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "sync_config",
        sql: include_str!("../../../migrations/postgres/0005_sync_config.sql"),
    },
    Migration {
        version: 6,
        name: "webhook_delivery",
        sql: include_str!("../../../migrations/postgres/0006_webhook_delivery.sql"),
    },
    Migration { version: 7, name: "api", sql: include_str!("../../../migrations/postgres/0007_api.sql") },
    Migration {
        version: 8,
        name: "hardening",
        sql: include_str!("../../../migrations/postgres/0008_hardening.sql"),
    },
    Migration {
        version: 9,
        name: "classification",
        sql: include_str!("../../../migrations/postgres/0009_classification.sql"),
    },
    Migration {
        version: 10,
        name: "run_classification",
        sql: include_str!("../../../migrations/postgres/0010_run_classification.sql"),
    },
    Migration {
        version: 11,
        name: "issues",
        sql: include_str!("../../../migrations/postgres/0011_issues.sql"),
    },
    Migration {
        version: 12,
        name: "notifications",
        sql: include_str!("../../../migrations/postgres/0012_notifications.sql"),
    },
    Migration {
        version: 13,
        name: "rollups",
        sql: include_str!("../../../migrations/postgres/0013_rollups.sql"),
    },
    Migration {
        version: 14,
        name: "outcome_rollups",
        sql: include_str!("../../../migrations/postgres/0014_outcome_rollups.sql"),
    },
    Migration {
        version: 15,
        name: "retention",
        sql: include_str!("../../../migrations/postgres/0015_retention.sql"),
    },
    Migration {
        version: 16,
        name: "request_combos",
        sql: include_str!("../../../migrations/postgres/0016_request_combos.sql"),
    },
    Migration {
        version: 17,
        name: "request_log_indexes",
        sql: include_str!("../../../migrations/postgres/0017_request_log_indexes.sql"),
    },
    Migration {
        version: 18,
        name: "backfills_key_scope",
        sql: include_str!("../../../migrations/postgres/0018_backfills_key_scope.sql"),
    },
    Migration {
        version: 19,
        name: "hourly_rollups",
        sql: include_str!("../../../migrations/postgres/0019_hourly_rollups.sql"),
    },
    Migration {
        version: 20,
        name: "daily_failure_rollups",
        sql: include_str!("../../../migrations/postgres/0020_daily_failure_rollups.sql"),
    },
];

pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_have_the_same_versions() {
        let a: Vec<_> = SQLITE.iter().map(|m| (m.version, m.name)).collect();
        let b: Vec<_> = POSTGRES.iter().map(|m| (m.version, m.name)).collect();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "versions must increase");
    }
}
