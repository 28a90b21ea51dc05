//! Remembering the API key in this browser, only when the user opts in.
//! Without the opt-in the key lives in the page's memory alone.

const KEY: &str = "trace-optimizer.personal-api-key";
const CONNECTION: &str = "trace-optimizer.connection";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The remembered key and connection (host choice, custom URL, project), if any.
pub fn load() -> Option<(String, String)> {
    let s = storage()?;
    Some((s.get_item(KEY).ok()??, s.get_item(CONNECTION).ok().flatten().unwrap_or_default()))
}

/// Remembers the key and connection (only called when the user opted in).
pub fn save(key: &str, connection: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, key);
        let _ = s.set_item(CONNECTION, connection);
    }
}

/// Forgets both.
pub fn forget() {
    if let Some(s) = storage() {
        let _ = s.remove_item(KEY);
        let _ = s.remove_item(CONNECTION);
    }
}
