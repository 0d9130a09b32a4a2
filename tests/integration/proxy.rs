//! A minimal HTTP proxy in front of the emulator that refuses one operation with AWS's
//! AccessDenied answer: to show how slsr reports a read it is not allowed to make. (The
//! reliability issue grows this into a full fault-injecting proxy.)

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

async fn start(upstream: String, denied: &'static str, delay: std::time::Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let _ = serve(client, &upstream, denied, delay).await;
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
) -> std::io::Result<()> {
    loop {
        let Some(request) = read_request(&mut client).await? else {
            return Ok(());
        };
        tokio::time::sleep(delay).await;
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
