//! A small SMTP client: enough to hand a plain-text message to a mail relay (RFC 5321), with
//! AUTH PLAIN when the relay asks for credentials. It does not speak TLS: in production point it
//! at a local or internal relay (Postfix, an Exchange connector) that carries mail onwards over
//! TLS. That keeps TLS configuration where councils' IT teams already manage it.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error(
        "SMTP URL {0:?} is not understood: use smtp://[user:password@]host[:port]?from=address"
    )]
    BadUrl(String),
    #[error("could not reach the mail server: {0}")]
    Connect(std::io::Error),
    #[error("the mail server did not answer in time")]
    Timeout,
    #[error("the mail server refused {stage}: {reply}")]
    Refused { stage: &'static str, reply: String },
    #[error("connection to the mail server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl SmtpError {
    /// A permanent refusal (5xx) will not succeed on retry; anything else might.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpError::Refused { reply, .. } if reply.starts_with('5'))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SmtpConfig {
    pub fn from_url(url: &str) -> Result<SmtpConfig, SmtpError> {
        let bad = || SmtpError::BadUrl(crate::db::redact(url));
        let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let (creds, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
            None => (hostport, 25),
        };
        if host.is_empty() {
            return Err(bad());
        }
        let (username, password) = match creds {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (Some(percent_decode(u)), Some(percent_decode(p))),
                None => (Some(percent_decode(c)), None),
            },
            None => (None, None),
        };
        let mut from = String::new();
        for pair in query.split('&') {
            if let Some(v) = pair.strip_prefix("from=") {
                from = percent_decode(v);
            }
        }
        if from.is_empty() || crate::accounts::Email::parse(&from).is_err() {
            return Err(bad());
        }
        Ok(SmtpConfig {
            host: host.to_owned(),
            port,
            username,
            password,
            from,
        })
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A subject line that may hold any Unicode, as an RFC 2047 encoded word when it must.
fn encode_header(s: &str) -> String {
    if s.is_ascii() && !s.contains(['\r', '\n']) {
        s.to_owned()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64(s.replace(['\r', '\n'], " ").as_bytes())
        )
    }
}

/// The message as sent after DATA: headers, then the body in base64 (safe for any text and any
/// relay), lines ending CRLF.
pub fn format_message(from: &str, to: &str, subject: &str, body: &str, message_id: &str) -> String {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000");
    let mut m = String::new();
    m.push_str(&format!("From: procurekit <{from}>\r\n"));
    m.push_str(&format!("To: <{to}>\r\n"));
    m.push_str(&format!("Subject: {}\r\n", encode_header(subject)));
    m.push_str(&format!("Date: {date}\r\n"));
    m.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    m.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    let encoded = base64(body.replace("\r\n", "\n").replace('\n', "\r\n").as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        m.push_str(&String::from_utf8_lossy(line));
        m.push_str("\r\n");
    }
    m
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

const STEP: Duration = Duration::from_secs(30);

impl Conn {
    async fn reply(&mut self) -> Result<String, SmtpError> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = timeout(STEP, self.reader.read_line(&mut line))
                .await
                .map_err(|_| SmtpError::Timeout)??;
            if n == 0 {
                return Err(SmtpError::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the mail server closed the connection",
                )));
            }
            all.push_str(&line);
            // Multi-line replies continue with "250-"; the last line has a space: "250 ".
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return Ok(all.trim_end().to_owned());
            }
        }
    }

    async fn command(
        &mut self,
        line: &str,
        expect: &[&str],
        stage: &'static str,
    ) -> Result<String, SmtpError> {
        timeout(
            STEP,
            self.writer.write_all(format!("{line}\r\n").as_bytes()),
        )
        .await
        .map_err(|_| SmtpError::Timeout)??;
        self.expect(expect, stage).await
    }

    async fn expect(&mut self, codes: &[&str], stage: &'static str) -> Result<String, SmtpError> {
        let r = self.reply().await?;
        if codes.iter().any(|c| r.starts_with(c)) {
            Ok(r)
        } else {
            Err(SmtpError::Refused { stage, reply: r })
        }
    }
}

/// Sends one message. Any failure is returned for the outbox to retry or give up on.
pub async fn send(
    cfg: &SmtpConfig,
    to: &str,
    subject: &str,
    body: &str,
    message_id: &str,
) -> Result<(), SmtpError> {
    let stream = timeout(
        Duration::from_secs(10),
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| SmtpError::Timeout)?
    .map_err(SmtpError::Connect)?;
    let (r, w) = stream.into_split();
    let mut c = Conn {
        reader: BufReader::new(r),
        writer: w,
    };
    c.expect(&["220"], "the connection").await?;
    c.command("EHLO procurekit", &["250"], "EHLO").await?;
    if let Some(user) = &cfg.username {
        let token =
            base64(format!("\0{user}\0{}", cfg.password.as_deref().unwrap_or("")).as_bytes());
        c.command(&format!("AUTH PLAIN {token}"), &["235"], "the credentials")
            .await?;
    }
    c.command(&format!("MAIL FROM:<{}>", cfg.from), &["250"], "the sender")
        .await?;
    c.command(&format!("RCPT TO:<{to}>"), &["250", "251"], "the recipient")
        .await?;
    c.command("DATA", &["354"], "DATA").await?;
    let mut data = format_message(&cfg.from, to, subject, body, message_id);
    // Dot-stuffing: a line starting with "." would otherwise end the message early.
    data = data.replace("\r\n.", "\r\n..");
    timeout(STEP, c.writer.write_all(format!("{data}.\r\n").as_bytes()))
        .await
        .map_err(|_| SmtpError::Timeout)??;
    c.expect(&["250"], "the message").await?;
    let _ = c.command("QUIT", &["221"], "QUIT").await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = SmtpConfig::from_url(
            "smtp://mailer:p%40ss@relay.camden.example:587?from=procurekit@camden.example",
        )
        .unwrap();
        assert_eq!(c.host, "relay.camden.example");
        assert_eq!(c.port, 587);
        assert_eq!(c.username.as_deref(), Some("mailer"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.from, "procurekit@camden.example");
        assert_eq!(
            SmtpConfig::from_url("smtp://localhost?from=a@b.example")
                .unwrap()
                .port,
            25
        );
        for bad in [
            "http://x",
            "smtp://?from=a@b.example",
            "smtp://host:port?from=a@b.example",
            "smtp://host",
        ] {
            assert!(SmtpConfig::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
    }

    #[test]
    fn subjects_are_encoded_when_needed() {
        assert_eq!(encode_header("Plain subject"), "Plain subject");
        assert_eq!(
            encode_header("£5 café"),
            format!("=?UTF-8?B?{}?=", base64("£5 café".as_bytes()))
        );
        assert!(
            !encode_header("a\r\nBcc: x@y").contains('\n'),
            "no header injection"
        );
    }
}
