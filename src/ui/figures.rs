//! The dashboard's charts as PNG images, for the results bundle.

use crate::report::bundle::Figure;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A PNG of every chart on the page (`data-chart` boxes), named after its box.
pub fn collect() -> Vec<Figure> {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
    let Ok(boxes) = doc.query_selector_all("[data-chart]") else { return Vec::new() };
    (0..boxes.length())
        .filter_map(|i| boxes.item(i)?.dyn_into::<web_sys::Element>().ok())
        .filter_map(|el| {
            let name = el.get_attribute("data-chart")?;
            let png = png_of(&el).map_err(|e| leptos::logging::warn!("figure {name}: {e:?}")).ok()?;
            Some(Figure { name: format!("{}.png", name.replace('-', "_")), png })
        })
        .collect()
}

/// `echarts.getInstanceByDom(el).getDataURL({type: 'png', ...})`, decoded.
fn png_of(el: &web_sys::Element) -> Result<Vec<u8>, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let echarts = Reflect::get(&window, &"echarts".into())?;
    let get_instance: Function = Reflect::get(&echarts, &"getInstanceByDom".into())?.dyn_into()?;
    let instance = get_instance.call1(&echarts, el)?;
    if instance.is_undefined() || instance.is_null() {
        return Err("no chart drawn in this box".into());
    }
    let opts = Object::new();
    Reflect::set(&opts, &"type".into(), &"png".into())?;
    Reflect::set(&opts, &"pixelRatio".into(), &2.into())?;
    // The page's own background, so a chart drawn in the dark theme stays readable.
    let dark = window.document().and_then(|d| d.document_element()).and_then(|e| e.get_attribute("data-theme")).as_deref() == Some("dark");
    Reflect::set(&opts, &"backgroundColor".into(), &(if dark { "#23262f" } else { "#ffffff" }).into())?;
    let get_url: Function = Reflect::get(&instance, &"getDataURL".into())?.dyn_into()?;
    let url = get_url.call1(&instance, &opts)?.as_string().ok_or("no data URL")?;
    let b64 = url.split_once(',').map(|(_, b)| b).ok_or("not a data URL")?;
    let binary = window.atob(b64)?;
    Ok(binary.chars().map(|c| c as u8).collect())
}
