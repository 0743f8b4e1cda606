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
    /// Let decks on other origins embed the page: `Cross-Origin-Resource-Policy: cross-origin`
    /// instead of `same-origin` (the deck must itself be isolated and frame it with
    /// allow="cross-origin-isolated").
    #[arg(long, conflicts_with = "no_isolation_headers")]
    cross_origin_embed: bool,
}

pub fn main(args: ServeArgs) -> ExitCode {
    if !args.root.is_dir() {
        eprintln!(
            "error: {} is not a folder: run `./build.sh serve` from the repository",
            args.root.display()
        );
        return ExitCode::from(2);
    }
    if !args.root.join("index.html").is_file() {
        eprintln!("note: {} has no index.html at its top; serving it anyway", args.root.display());
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
    let headers = if args.no_isolation_headers {
        Headers::None
    } else if args.cross_origin_embed {
        Headers::IsolatedEmbeddable
    } else {
        Headers::Isolated
    };
    let app = router(args.root.clone(), headers);
    println!("Serving {} at http://{bound}/", args.root.display());
    println!("Open that URL in Chromium, Firefox or Safari 16.4+. Ctrl-C stops the server.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Which headers the server adds.
#[derive(Clone, Copy)]
enum Headers {
    /// None: a plain static host.
    None,
    /// COOP, COEP and CORP same-origin: the page is isolated and only this origin may embed it.
    Isolated,
    /// The same with CORP cross-origin: isolated decks on other origins may embed it.
    IsolatedEmbeddable,
}

/// The isolation headers: one list for the server, the service worker and `_headers`.
fn isolation_headers() -> Vec<(String, String)> {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../isolation-headers.json")).expect("valid JSON");
    file["headers"]
        .as_object()
        .expect("a headers object")
        .iter()
        .map(|(name, value)| (name.to_lowercase(), value.as_str().expect("text").to_owned()))
        .collect()
}

/// The static site with `headers` on every response.
fn router(root: PathBuf, headers: Headers) -> Router {
    let mut chosen = match headers {
        Headers::None => Vec::new(),
        _ => isolation_headers(),
    };
    if matches!(headers, Headers::IsolatedEmbeddable) {
        for (name, value) in &mut chosen {
            if name == "cross-origin-resource-policy" {
                *value = "cross-origin".to_owned();
            }
        }
    }
    // A rebuilt wasm must reach the next reload; the page is small and local.
    chosen.push(("cache-control".to_owned(), "no-cache".to_owned()));
    let mut app = Router::new().fallback_service(ServeDir::new(root));
    for (name, value) in chosen {
        app = app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::try_from(name).expect("a header name"),
            HeaderValue::try_from(value).expect("a header value"),
        ));
    }
    app
}
