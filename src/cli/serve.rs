//! `gil-playground serve`: the page, over HTTP, cross-origin isolated.
//!
//! Shared-memory threads need `SharedArrayBuffer`, which a browser only offers to a page that
//! is cross-origin isolated: the document must come with `Cross-Origin-Opener-Policy:
//! same-origin` and `Cross-Origin-Embedder-Policy: require-corp`, and everything it loads
//! (workers and the wasm included) must be allowed by `Cross-Origin-Resource-Policy`.
//! tower-http's `ServeDir` does the serving: MIME types (`application/wasm`,
//! `text/javascript`) and refusing any path that leaves the root.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use clap::Args;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Args)]
pub struct ServeArgs {
    /// The folder to serve.
    #[arg(long, default_value = "www")]
    root: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000, env = "PORT")]
    port: u16,
    /// Send no isolation headers, like a plain static host (to test how the page copes).
    #[arg(long)]
    no_isolation_headers: bool,
}

pub fn main(args: ServeArgs) -> ExitCode {
    if !args.root.join("index.html").is_file() {
        eprintln!(
            "error: {} has no index.html: run `./build.sh serve` from the repository",
            args.root.display()
        );
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

async fn serve(args: ServeArgs) -> std::io::Result<()> {
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|err| {
        std::io::Error::new(err.kind(), format!("cannot listen on {address}: {err}"))
    })?;
    let bound = listener.local_addr()?;
    let app = router(args.root.clone(), !args.no_isolation_headers);
    println!("Serving {} at http://{bound}/", args.root.display());
    println!("Open that URL in Chromium, Firefox or Safari 16.4+. Ctrl-C stops the server.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// The static site, with the isolation headers on every response if `isolate`.
fn router(root: PathBuf, isolate: bool) -> Router {
    let isolation = [
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-embedder-policy", "require-corp"),
        ("cross-origin-resource-policy", "same-origin"),
    ];
    // A rebuilt wasm must reach the next reload; the page is small and local.
    let always = [("cache-control", "no-cache")];
    let headers = always.iter().chain(if isolate { &isolation[..] } else { &[] });
    let mut app = Router::new().fallback_service(ServeDir::new(root));
    for &(name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    app
}
