//! Remembering the API key in this browser, only when the user opts in.
//! Without the opt-in the key lives in the page's memory alone. The rest of
//! the form is kept without the key ([`super::store::Form`]).

const KEY: &str = "trace-optimizer.personal-api-key";
/// Where an earlier version kept the connection with the key; cleared on forget.
const CONNECTION: &str = "trace-optimizer.connection";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The remembered key, if any.
pub fn load() -> Option<String> {
    storage()?.get_item(KEY).ok()?
}

/// Remembers the key (only called when the user opted in).
pub fn save(key: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, key);
    }
}

/// Forgets it.
pub fn forget() {
    if let Some(s) = storage() {
        let _ = s.remove_item(KEY);
        let _ = s.remove_item(CONNECTION);
    }
}
