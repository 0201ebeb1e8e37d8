//! One webhook attempt over HTTP: a POST that must answer 2xx within the timeout. Redirects are
//! not followed, and unless private addresses are allowed, a host is called only at the public
//! addresses it resolves to, checked at connection time, so a subscriber cannot make the server
//! call inside its own network, even by changing its DNS after subscribing.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::domain::webhook::is_public;

/// Resolves only to public addresses.
struct PublicOnly;

impl ureq::Resolver for PublicOnly {
    fn resolve(&self, netloc: &str) -> io::Result<Vec<SocketAddr>> {
        let public: Vec<SocketAddr> = netloc
            .to_socket_addrs()?
            .filter(|a| is_public(a.ip()))
            .collect();
        if public.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{netloc} has no public address; private, loopback and link-local addresses are refused"
                ),
            ));
        }
        Ok(public)
    }
}

/// How one attempt went: the status code if the endpoint answered, and why it failed if it did.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub code: Option<i32>,
    pub error: Option<String>,
    pub took: Duration,
}

/// Sends webhook requests.
#[derive(Clone)]
pub struct Poster {
    agent: ureq::Agent,
}

impl Poster {
    pub fn new(allow_private: bool, timeout: Duration) -> Poster {
        let mut builder = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(timeout)
            .user_agent(concat!(
                "instrument-booking-webhooks/",
                env!("CARGO_PKG_VERSION")
            ));
        if !allow_private {
            builder = builder.resolver(PublicOnly);
        }
        Poster {
            agent: builder.build(),
        }
    }

    /// POSTs `body` as JSON with `headers`; blocks until it is answered or times out.
    pub fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Attempt {
        let started = Instant::now();
        let mut request = self.agent.post(url).set("Content-Type", "application/json");
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let (code, error) = match request.send_string(body) {
            Ok(r) if (200..300).contains(&r.status()) => (Some(r.status()), None),
            Ok(r) => (
                Some(r.status()),
                Some(format!(
                    "the endpoint answered {} and redirects are not followed",
                    r.status()
                )),
            ),
            Err(ureq::Error::Status(code, _)) => {
                (Some(code), Some(format!("the endpoint answered {code}")))
            }
            Err(ureq::Error::Transport(t)) => (None, Some(t.to_string())),
        };
        Attempt {
            code: code.map(i32::from),
            error,
            took: started.elapsed(),
        }
    }
}
