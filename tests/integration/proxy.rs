//! A small HTTP proxy in front of the emulator, to meet slsr with what real AWS does and
//! moto does not: refuse one operation with AWS's AccessDenied answer, hold every call for
//! a while (latency), or fail calls at a seeded rate, with a 500 or a dropped connection
//! after the call took effect. (The reliability issue grows this into rate limits too.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the proxy; requests whose `x-amz-target` is `denied` get a 400 AccessDenied in
/// the JSON protocol, everything else goes to `upstream` (host:port). Returns its endpoint.
pub async fn deny(upstream: String, denied: &'static str) -> String {
    start(upstream, denied, std::time::Duration::ZERO).await
}

/// A proxy that holds every request for `delay` before passing it on, like a distant AWS.
pub async fn slow(upstream: String, delay: std::time::Duration) -> String {
    start(upstream, "none", delay).await
}

/// A proxy that answers `error_permille` of the calls with a 500, and forwards
/// `drop_permille` of them but drops the connection instead of answering, from a seeded
/// random sequence.
/// Returns the endpoint and the count of faults injected so far.
pub async fn faulty(
    upstream: String,
    seed: u64,
    error_permille: u32,
    drop_permille: u32,
) -> (String, Arc<AtomicUsize>) {
    let injected = Arc::new(AtomicUsize::new(0));
    let faults = Faults {
        rng: Arc::new(Mutex::new(fastrand::Rng::with_seed(seed))),
        error_permille,
        drop_permille,
        injected: injected.clone(),
    };
    (
        start_with(upstream, "none", std::time::Duration::ZERO, Some(faults)).await,
        injected,
    )
}

#[derive(Clone)]
struct Faults {
    rng: Arc<Mutex<fastrand::Rng>>,
    error_permille: u32,
    drop_permille: u32,
    injected: Arc<AtomicUsize>,
}

enum Fault {
    None,
    Error,
    Drop,
}

impl Faults {
    fn draw(&self) -> Fault {
        let n = self.rng.lock().unwrap().u32(0..1000);
        let fault = if n < self.error_permille {
            Fault::Error
        } else if n < self.error_permille + self.drop_permille {
            Fault::Drop
        } else {
            return Fault::None;
        };
        self.injected.fetch_add(1, Ordering::SeqCst);
        fault
    }
}

async fn start(upstream: String, denied: &'static str, delay: std::time::Duration) -> String {
    start_with(upstream, denied, delay, None).await
}

async fn start_with(
    upstream: String,
    denied: &'static str,
    delay: std::time::Duration,
    faults: Option<Faults>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, faults) = (upstream.clone(), faults.clone());
            tokio::spawn(async move {
                let _ = serve(client, &upstream, denied, delay, faults).await;
            });
        }
    });
    endpoint
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    denied: &str,
    delay: std::time::Duration,
    faults: Option<Faults>,
) -> std::io::Result<()> {
    loop {
        let Some(request) = read_request(&mut client).await? else {
            return Ok(());
        };
        tokio::time::sleep(delay).await;
        let fault = faults.as_ref().map_or(Fault::None, Faults::draw);
        if let Fault::Error = fault {
            let body = r#"{"__type":"InternalFailure","message":"injected by the test proxy"}"#;
            let response = format!(
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\nx-amzn-errortype: InternalFailure\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            client.write_all(response.as_bytes()).await?;
            continue;
        }
        let head = String::from_utf8_lossy(&request).to_lowercase();
        if head.contains(&format!("x-amz-target: {}", denied.to_lowercase())) {
            let body = format!(
                r#"{{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {denied}"}}"#
            );
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: denied\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            client.write_all(response.as_bytes()).await?;
            continue;
        }
        // One upstream connection per request, closed after it: simple and enough here.
        let mut server = TcpStream::connect(upstream).await?;
        let text = String::from_utf8_lossy(&request).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let head: Vec<&str> = head
            .lines()
            .filter(|l| !l.to_lowercase().starts_with("connection:"))
            .collect();
        server
            .write_all(
                format!("{}\r\nconnection: close\r\n\r\n{body}", head.join("\r\n")).as_bytes(),
            )
            .await?;
        let mut response = Vec::new();
        server.read_to_end(&mut response).await?;
        if let Fault::Drop = fault {
            // The call took effect; the caller never hears so, as when a connection dies.
            return Ok(());
        }
        client.write_all(&response).await?;
        return Ok(());
    }
}

/// One request: headers, then the body by its Content-Length. `None` at end of stream.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                let n = client.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Ok(Some(data));
        }
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        data.extend_from_slice(&buf[..n]);
    }
}
