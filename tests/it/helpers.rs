use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use switchboard::server::secrets::Sealer;
use switchboard::server::store::{self, DatabaseUrl, Store};

/// The key every test store seals webhook signing secrets with, and (as `SWITCHBOARD_SECRET_KEY`)
/// every process the tests start, so both sides open what the other sealed.
pub const TEST_KEY: [u8; 32] = [7u8; 32];
pub const TEST_KEY_HEX: &str = "0707070707070707070707070707070707070707070707070707070707070707";

fn sealer() -> Sealer {
    Sealer::new(Some(TEST_KEY))
}

/// A fresh, migrated database per call: a temporary SQLite file, or a new PostgreSQL database
/// on the server named by TEST_DATABASE_URL.
pub struct TestDb {
    pub name: &'static str,
    pub url: DatabaseUrl,
    pub store: Arc<dyn Store>,
    _dir: Option<tempdir::Dir>,
}

pub mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn unique() -> String {
    format!("{:x}{:x}", std::process::id(), rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    h.finish()
}

pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("sb-test-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite:{}/test.db", dir.display())).unwrap();
    let store = store::open(&url, sealer()).await.expect("open sqlite");
    TestDb { name: "sqlite", url, store, _dir: Some(tempdir::Dir(dir)) }
}

pub async fn postgres() -> Option<TestDb> {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        if std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").is_ok() {
            panic!("SWITCHBOARD_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not");
        }
        eprintln!("TEST_DATABASE_URL not set: skipping PostgreSQL");
        return None;
    };
    use sqlx::Connection;
    let name = format!("sb_test_{}", unique());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to TEST_DATABASE_URL");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = DatabaseUrl::parse(&format!("{base}/{name}")).unwrap();
    let store = store::open(&url, sealer()).await.expect("open postgres");
    Some(TestDb { name: "postgres", url, store, _dir: None })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `switchboard <args>` as its own process on the test's database, with the tests' sealing key
/// and the scheduler off; `env` adds settings. A `serve` listens on a free port, whose URL is
/// returned beside the process (empty for other commands).
pub fn spawn_switchboard(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.arg("--database-url").arg(db.url.as_str()).args(args);
    let mut url = String::new();
    if args.first() == Some(&"serve") {
        let port = free_port();
        cmd.arg("--addr").arg(format!("127.0.0.1:{port}"));
        url = format!("http://127.0.0.1:{port}");
    }
    cmd.env("SWITCHBOARD_SECRET_KEY", TEST_KEY_HEX)
        .env("SWITCHBOARD_SCHEDULER", "off")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    (cmd.spawn().expect("start switchboard"), url)
}

/// Every database the tests must cover.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

/// Everything the database holds, as text: the SQLite files byte for byte (the main file and
/// its write-ahead log, so nothing waiting for a checkpoint is missed), or every row of every
/// PostgreSQL table. Used to prove that a secret was never stored anywhere.
pub async fn raw_contents(db: &TestDb) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(url) => {
            let path = url.trim_start_matches("sqlite:");
            let mut all = Vec::new();
            for suffix in ["", "-wal", "-journal"] {
                if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                    all.extend(bytes);
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut all = String::new();
            for t in tables {
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM \"{t}\" t"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                for r in rows {
                    all.push_str(&r);
                    all.push('\n');
                }
            }
            all
        }
    }
}

/// The webhook events of a scope, newest first: (type, payload).
pub async fn events(db: &TestDb, scope: &switchboard::server::store::Scope) -> Vec<(String, String)> {
    db.store
        .list_events(scope, None, &switchboard::server::store::Page::First, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event_type, e.payload))
        .collect()
}

/// Polls `check` until it yields a value, failing the test after `limit` (tests never sleep for
/// a fixed time: they wait for what they need, with a deadline).
pub async fn wait_for<T, F, Fut>(what: &str, limit: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// [`wait_for`] a condition.
pub async fn wait_until<F, Fut>(what: &str, limit: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_for(what, limit, || {
        let f = check();
        async move { f.await.then_some(()) }
    })
    .await
}

/// The wall clock, for tests that build rows "now" (the app itself asks its injected clock).
pub fn now_ms() -> i64 {
    use switchboard::server::clock::Clock;
    switchboard::server::clock::SystemClock.now_ms()
}

/// A new healthy connection to `platform_id` in `scope` (the platform catalog made sure of
/// first), for tests that need issues of their own.
pub async fn new_connection(db: &TestDb, scope: &store::Scope, platform_id: &str, name: &str) -> String {
    use switchboard::server::store::admin::SeedBatch;
    use switchboard::server::store::ConnectionRow;
    db.store.sync_platform_catalog(switchboard::domain::PLATFORMS).await.unwrap();
    let now = now_ms();
    let id = switchboard::ids::make_id(switchboard::ids::prefix::CONNECTION, now, rand::random());
    let mut batch = SeedBatch::default();
    batch.connections.push(ConnectionRow {
        id: id.clone(),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        platform_id: platform_id.into(),
        display_name: name.into(),
        platform_account_id: format!("tenant-{}", rand::random::<u32>()),
        status: switchboard::domain::ConnectionStatus::Healthy,
        config_version: 1,
        created_at: now,
        last_synced_at: None,
        status_reason: None,
        status_since: None,
        rate_limited_until: None,
    });
    db.store.insert_seed_batch(&batch).await.unwrap();
    id
}

/// Runs a statement straight on the database, as another writer would (triggers fire, the
/// store's code is not involved). Returns the rows it changed.
pub async fn execute(url: &DatabaseUrl, sql: &str) -> u64 {
    use sqlx::Connection;
    match url {
        DatabaseUrl::Sqlite(url) => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected()
        }
    }
}

/// What the outcome counts of a scope must say, counted from the rows themselves: runs by the
/// hour they were queued, data object and status; deliveries by the hour they were created,
/// endpoint and status.
pub async fn outcome_truth(
    db: &TestDb,
    scope: &store::Scope,
    kind: store::rollups::OutcomeKind,
) -> Vec<store::rollups::OutcomeCount> {
    use sqlx::Connection;
    let (time, subject, table) = match kind {
        store::rollups::OutcomeKind::SyncRun => ("queued_at", "data_object", "sync_runs"),
        store::rollups::OutcomeKind::Delivery => ("created_at", "endpoint_id", "webhook_deliveries"),
    };
    let sql = format!(
        "SELECT ({time} / 3600000) * 3600000 AS hour, {subject} AS subject, status, CAST(COUNT(*) AS BIGINT) AS total \
         FROM {table} WHERE organization_id = '{}' AND environment = '{}' \
         GROUP BY ({time} / 3600000) * 3600000, {subject}, status ORDER BY 1, 2, 3",
        scope.organization_id, scope.environment
    );
    match &db.url {
        DatabaseUrl::Sqlite(url) => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_as(&sql).fetch_all(&mut c).await.unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(&sql).fetch_all(&mut c).await.unwrap()
        }
    }
}

/// One number read straight from the database, e.g. a `COUNT(*)`.
pub async fn count(db: &TestDb, sql: &str) -> i64 {
    use sqlx::Connection;
    match &db.url {
        DatabaseUrl::Sqlite(url) => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
    }
}

/// How many request logs a scope holds.
pub async fn request_count(db: &TestDb, scope: &store::Scope) -> i64 {
    count(
        db,
        &format!(
            "SELECT COUNT(*) FROM request_logs WHERE organization_id = '{}' AND environment = '{}'",
            scope.organization_id, scope.environment
        ),
    )
    .await
}
