//! An emulator of a test's own that enforces IAM, for `slsr policy`'s tests: moto started
//! as scripts/test starts it, but with `INITIAL_NO_AUTH_ACTION_COUNT`, so that only the
//! admin's setup calls pass unchecked (scripts/moto_server.py's `_iam_enforcement_as_aws`
//! names each call's resource as AWS does); users holding one policy each; and the binary
//! run with a user's key.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::Credentials;

use crate::support::{REGION, Run, run, scratch, slsr};

/// moto's default account, where keys made without `x-moto-account-id` live.
pub const ACCOUNT: &str = "123456789012";

/// The calls made before enforcement starts: the admin's CreateUser, PutUserPolicy and
/// CreateAccessKey. Every later call is checked against its caller's policies.
const UNCHECKED_SETUP_CALLS: &str = "3";

/// A moto server of the test's own, enforcing IAM; stopped when dropped.
pub struct Enforcing {
    child: Child,
    pub endpoint: String,
    pub admin: Key,
    /// Where moto notes each action it checked without naming a resource.
    unnamed: std::path::PathBuf,
}

#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

impl Drop for Enforcing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(endpoint: &str, key: &Key) -> impl Future<Output = SdkConfig> {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(&key.id, &key.secret, None, None, "test"))
        .load()
}

impl Enforcing {
    /// Starts moto as scripts/test does (the project's patched launcher, pages of one
    /// item), with enforcement after the admin's three setup calls. Fails, never skips,
    /// when it does not answer within 30 s.
    pub async fn start(name: &str) -> Enforcing {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = scratch(&format!("moto-{name}"));
        let log = std::fs::File::create(dir.join("moto.log")).unwrap();
        let unnamed = dir.join("unnamed-resources.log");
        let child = Command::new(root.join(".venv/bin/python"))
            .args(["scripts/moto_server.py", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .current_dir(root)
            .env_remove("MOTO_ACCOUNT_ID")
            .env("INITIAL_NO_AUTH_ACTION_COUNT", UNCHECKED_SETUP_CALLS)
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("SLSR_EMULATOR_PAGE_SIZE", "1")
            .env("SLSR_IAM_UNNAMED_LOG", &unnamed)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("moto starts from .venv (scripts/test installs it)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the enforcing emulator did not answer on {endpoint} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut server = Enforcing {
            child,
            endpoint,
            unnamed,
            admin: Key {
                id: "test".into(),
                secret: "test".into(),
            },
        };
        // The three unchecked calls: an admin allowed everything.
        let iam = aws_sdk_iam::Client::new(&config(&server.endpoint, &server.admin).await);
        iam.create_user().user_name("admin").send().await.unwrap();
        iam.put_user_policy()
            .user_name("admin")
            .policy_name("everything")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .unwrap();
        let key = iam
            .create_access_key()
            .user_name("admin")
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        server.admin = Key {
            id: key.access_key_id,
            secret: key.secret_access_key,
        };
        // From here on every call is checked: a key moto does not know is refused.
        let stranger = aws_sdk_iam::Client::new(
            &config(
                &server.endpoint,
                &Key {
                    id: "AKIAIOSFODNN7EXAMPLE".into(),
                    secret: "nope".into(),
                },
            )
            .await,
        );
        assert!(
            stranger.list_users().send().await.is_err(),
            "the emulator enforces IAM after the setup calls"
        );
        server
    }

    /// The actions moto checked without naming their resource so far (an action alone then
    /// decides), and forgets them.
    pub fn take_unnamed(&self) -> std::collections::BTreeSet<String> {
        let text = std::fs::read_to_string(&self.unnamed).unwrap_or_default();
        let _ = std::fs::remove_file(&self.unnamed);
        text.lines().map(str::to_string).collect()
    }

    pub async fn admin_config(&self) -> SdkConfig {
        config(&self.endpoint, &self.admin).await
    }

    /// A user holding only `policy` (as a managed policy), and its key.
    pub async fn user(&self, name: &str, policy: &str) -> Key {
        let iam = aws_sdk_iam::Client::new(&self.admin_config().await);
        iam.create_user().user_name(name).send().await.unwrap();
        let arn = iam
            .create_policy()
            .policy_name(format!("{name}-slsr"))
            .policy_document(policy)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap()
            .arn
            .unwrap();
        iam.attach_user_policy()
            .user_name(name)
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        Key {
            id: key.access_key_id,
            secret: key.secret_access_key,
        }
    }
}

/// `slsr ARGS` with `key`'s credentials against `endpoint`.
pub fn slsr_as(key: &Key, endpoint: &str, args: &[&str]) -> Run {
    run(slsr()
        .env("AWS_ACCESS_KEY_ID", &key.id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(args))
}
