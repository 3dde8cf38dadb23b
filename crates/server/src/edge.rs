//! The network edge (issue 11 item 12): who is on the other end of a request, as far as
//! the server may believe, and whether the request reached it over TLS.
//!
//! FentGuard either terminates TLS itself (`serve --tls-cert/--tls-key`) or sits behind a
//! reverse proxy that does. Invariant: a forwarding header (`X-Forwarded-For`,
//! `X-Forwarded-Proto`) is believed only when the connection comes from an address the
//! operator named as a proxy (`serve --trust-proxy`); from anyone else it is ignored, so a
//! client cannot pick the address its failed logins are counted against, nor claim HTTPS.
//! Every other part of the server reads the client through [`Peer`], never the headers.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// How the server is reached: over TLS of its own, and through which proxies.
#[derive(Clone, Debug, Default)]
pub struct Edge {
    /// The server terminates TLS itself.
    pub tls: bool,
    /// Addresses of reverse proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Most `X-Forwarded-For` entries read, from the right: a longer chain is the client's
/// own invention, and reading it would cost what the client chooses.
const MAX_HOPS: usize = 16;

/// The client of one request as the server believes it (a plain type of the use cases,
/// which count failed sign-ins per address and mark cookies Secure over HTTPS).
pub use cases::signin::Peer;

impl Edge {
    /// Parse `--trust-proxy` values: addresses (`10.0.0.5`, `::1`) or networks (`10.0.0.0/8`).
    pub fn parse_proxies(values: &[String]) -> Result<Vec<IpNet>, String> {
        values
            .iter()
            .map(|v| {
                let v = v.trim();
                v.parse::<IpNet>()
                    .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trust-proxy {v:?} is neither an IP address nor a network")
                    })
            })
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The peer of a connection from `direct` carrying `headers`.
    pub fn peer(&self, direct: Option<IpAddr>, headers: &HeaderMap) -> Peer {
        let direct = direct.map(canonical);
        let Some(proxy) = direct.filter(|ip| self.trusts(*ip)) else {
            return Peer {
                client: direct,
                https: self.tls,
            };
        };
        // The rightmost address no trusted proxy wrote is the client; proxies append, so
        // whatever is left of it the client may have made up. A damaged entry stops the
        // walk at the last address known to be good.
        let mut client = proxy;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev().take(MAX_HOPS) {
            match hop.trim().parse::<IpAddr>().map(canonical) {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let forwarded_https = headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Peer {
            client: Some(client),
            https: self.tls || forwarded_https,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Works out the request's [`Peer`] once, for every layer and handler after it.
pub async fn peer(State(edge): State<Arc<Edge>>, mut req: Request, next: Next) -> Response {
    let direct = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let peer = edge.peer(direct, req.headers());
    req.extensions_mut().insert(peer);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_from_anyone_else_are_ignored() {
        let edge = Edge::default();
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let p = edge.peer(Some(ip("198.51.100.7")), &h);
        assert_eq!(p.client, Some(ip("198.51.100.7")));
        assert!(!p.https);
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_scheme() {
        let edge = Edge {
            tls: false,
            trusted_proxies: Edge::parse_proxies(&["10.0.0.0/8".into(), "::1".into()])
                .expect("parse"),
        };
        // The client wrote a fake first hop; the proxy appended the real address.
        let h = headers(&[
            ("x-forwarded-for", "192.0.2.1, 203.0.113.9"),
            ("x-forwarded-for", "10.1.1.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let p = edge.peer(Some(ip("::ffff:10.0.0.2")), &h);
        assert_eq!(p.client, Some(ip("203.0.113.9")));
        assert!(p.https);
        // No header: the proxy itself is the client, over plain HTTP.
        let p = edge.peer(Some(ip("::1")), &HeaderMap::new());
        assert_eq!(p.client, Some(ip("::1")));
        assert!(!p.https);
        // A damaged hop stops the walk at the last good address.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, not-an-ip")]);
        assert_eq!(
            edge.peer(Some(ip("10.0.0.2")), &h).client,
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn own_tls_is_https_whoever_connects() {
        let edge = Edge {
            tls: true,
            trusted_proxies: vec![],
        };
        assert!(edge.peer(Some(ip("198.51.100.7")), &HeaderMap::new()).https);
    }

    #[test]
    fn bad_proxy_values_are_named() {
        let e = Edge::parse_proxies(&["10.0.0.0/33".into()]).expect_err("bad");
        assert!(e.contains("10.0.0.0/33"), "{e}");
    }
}
