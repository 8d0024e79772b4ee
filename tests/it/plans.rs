//! Every request-log list query must be served by an index on both databases, never a full
//! scan of the table, whatever combination of filters it has.

use crate::helpers;
use switchboard::ids::{id_floor, prefix};
use switchboard::server::auth::now_ms;
use switchboard::server::seed;
use switchboard::server::store::{Page, RequestLogQuery};

fn shapes(org: &str) -> Vec<(&'static str, RequestLogQuery)> {
    let base = RequestLogQuery {
        organization_id: org.into(),
        environment: "production".into(),
        limit: 51,
        ..Default::default()
    };
    let day_ago = id_floor(prefix::REQUEST, now_ms() - 86_400_000);
    let cursor = id_floor(prefix::REQUEST, now_ms() - 3_600_000);
    vec![
        ("no filter", base.clone()),
        ("request id", RequestLogQuery { request_id: Some(cursor.clone()), ..base.clone() }),
        ("connection", RequestLogQuery { connection_id: Some("conn_x".into()), ..base.clone() }),
        ("platform", RequestLogQuery { platform_id: Some("xero".into()), ..base.clone() }),
        ("status class", RequestLogQuery { status_class: Some(5), ..base.clone() }),
        ("exact status", RequestLogQuery { status_code: Some(429), ..base.clone() }),
        ("error code", RequestLogQuery { error_code: Some("rate-limited".into()), ..base.clone() }),
        ("method", RequestLogQuery { method: Some("POST".into()), ..base.clone() }),
        (
            "path prefix",
            RequestLogQuery {
                path_range: Some(("/accounting/invoices".into(), "/accounting/invoicet".into())),
                ..base.clone()
            },
        ),
        ("time range", RequestLogQuery { from_id: Some(day_ago.clone()), ..base.clone() }),
        ("older page", RequestLogQuery { page: Page::Before(cursor.clone()), ..base.clone() }),
        ("newer page", RequestLogQuery { page: Page::After(cursor.clone()), ..base.clone() }),
        (
            "connection + 5xx",
            RequestLogQuery { connection_id: Some("conn_x".into()), status_class: Some(5), ..base.clone() },
        ),
        (
            "platform + error code",
            RequestLogQuery {
                platform_id: Some("stripe".into()),
                error_code: Some("invalid-params".into()),
                ..base.clone()
            },
        ),
        (
            "4xx + last 24 h",
            RequestLogQuery { status_class: Some(4), from_id: Some(day_ago), ..base.clone() },
        ),
    ]
}

#[tokio::test]
async fn every_request_log_list_query_uses_an_index() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 2_000).await.unwrap();
        db.store.analyze().await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        for (name, q) in shapes(&acme.id) {
            let plan = db.store.explain_request_logs(&q).await.unwrap();
            let text = plan.join("\n");
            match db.name {
                "sqlite" => {
                    for line in plan.iter().filter(|l| l.contains("request_logs")) {
                        assert!(
                            line.contains("USING INDEX")
                                || line.contains("USING COVERING INDEX")
                                || line.contains("PRIMARY KEY"),
                            "{}: {name}: full scan in plan:\n{text}",
                            db.name
                        );
                    }
                }
                _ => assert!(
                    !text.contains("Seq Scan"),
                    "{}: {name}: sequential scan in plan:\n{text}",
                    db.name
                ),
            }
            assert!(
                text.contains("request_logs"),
                "{}: {name}: plan does not mention the table:\n{text}",
                db.name
            );
            eprintln!("{} / {name}:\n{text}\n", db.name);
        }
    }
}
