//! Start-up validation: a bad setting stops the program with a message naming it.

use std::process::Command;

fn switchboard(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SWITCHBOARD_ADDR")
        .output()
        .expect("run switchboard");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_bad_database_url_names_the_setting_and_the_expected_form() {
    let (code, err) = switchboard(&["--database-url", "mysql://localhost/x", "migrate"]);
    assert_eq!(code, 2);
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(err.contains("sqlite:PATH"), "{err}");
}

#[test]
fn a_bad_address_names_the_setting_and_the_expected_form() {
    let dir = std::env::temp_dir().join(format!("sb-cli-{}", std::process::id()));
    let url = format!("sqlite:{}/x.db", dir.display());
    let (code, err) = switchboard(&["--database-url", &url, "serve", "--addr", "localhost"]);
    assert_eq!(code, 2);
    assert!(err.contains("SWITCHBOARD_ADDR"), "{err}");
    assert!(err.contains("HOST:PORT"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn create_user_rejects_an_unknown_role() {
    let dir = std::env::temp_dir().join(format!("sb-cli-role-{}", std::process::id()));
    let url = format!("sqlite:{}/x.db", dir.display());
    let (code, err) = switchboard(&[
        "--database-url",
        &url,
        "create-user",
        "--email",
        "a@b.test",
        "--password",
        "long-enough-pw",
        "--org",
        "acme",
        "--role",
        "emperor",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("owner, admin, developer or viewer"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
