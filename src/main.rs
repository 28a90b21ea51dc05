//! The web app's entry point (built for wasm32 by trunk).

#[cfg(target_arch = "wasm32")]
fn main() {
    trace_optimizer::ui::fatal::install();
    leptos::mount::mount_to_body(trace_optimizer::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The web app is built for WebAssembly: run ./scripts/serve. For the native command, see trace-optimizer-cli.");
}
