//! The dashboard's charts: ECharts options written as JSON data from the
//! analysis, and [`ChartView`], which draws one into the page. The options
//! are `serde_json` values rather than `charming`'s typed builders: the
//! builders serialise through charming's `Chart` and `Series` types (every
//! series kind ECharts has, with serde-wasm-bindgen behind them), 62 KB of
//! the gzipped build for six charts that use bars, scatter points, axes, a
//! grid, a legend and a tooltip.

use crate::analysis::metrics::Metrics;
use crate::analysis::variance::OperationVariance;
use crate::format::visible;
use leptos::html::Div;
use leptos::prelude::*;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// Rounds for display in tooltips (ECharts shows values as given).
fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// A chart without animation, its title centred, a tooltip on `trigger`
/// (`axis` or `item`), its grid's labels inside the box.
fn base(title: &str, trigger: &str, right: &str, bottom: Option<&str>) -> Value {
    let mut grid = json!({"left": "3%", "right": right, "containLabel": true});
    if let Some(b) = bottom {
        grid["bottom"] = b.into();
    }
    json!({"animation": false, "title": {"text": title, "left": "center"}, "tooltip": {"trigger": trigger}, "grid": grid})
}

/// A category axis with these labels, turned by `rotate` degrees when given.
fn categories(labels: Vec<String>, rotate: Option<u32>) -> Value {
    let mut axis = json!({"type": "category", "data": labels});
    if let Some(r) = rotate {
        axis["axisLabel"] = json!({"rotate": r});
    }
    axis
}

/// A value axis (`value` or `log`), named when `name` is given.
fn values(kind: &str, name: Option<&str>) -> Value {
    let mut axis = json!({"type": kind});
    if let Some(n) = name {
        axis["name"] = n.into();
    }
    axis
}

/// One bar series.
fn bars(name: &str, data: Vec<f64>) -> Value {
    json!({"type": "bar", "name": name, "data": data})
}

/// The legend under the plot, scrolling when it is wider than the box.
fn legend() -> Value {
    json!({"type": "scroll", "top": "bottom"})
}

/// Horizontal bars of cost (USD) by operation, most expensive on top.
pub fn cost_by_operation(m: &Metrics) -> Value {
    let ops: Vec<_> = m.by_operation.iter().rev().collect();
    let mut c = base("Cost by operation (USD)", "axis", "6%", None);
    c["xAxis"] = values("value", None);
    c["yAxis"] = categories(ops.iter().map(|g| visible(&g.name).into_owned()).collect(), None);
    c["series"] = json!([bars("Cost", ops.iter().map(|g| round(g.totals.cost_usd, 4)).collect())]);
    c
}

/// Bars of cost (USD) by model.
pub fn cost_by_model(m: &Metrics) -> Value {
    let mut c = base("Cost by model (USD)", "axis", "4%", None);
    c["xAxis"] = categories(m.by_model.iter().map(|g| visible(&g.name).into_owned()).collect(), Some(20));
    c["yAxis"] = values("value", None);
    c["series"] = json!([bars("Cost", m.by_model.iter().map(|g| round(g.totals.cost_usd, 4)).collect())]);
    c
}

/// Stacked daily cost (USD) by model.
pub fn daily_cost_by_model(m: &Metrics) -> Value {
    let days: Vec<String> = m.daily.iter().map(|d| crate::time::month_day(d.day)).collect();
    let mut c = base("Daily cost by model (USD)", "axis", "4%", Some("15%"));
    c["legend"] = legend();
    c["xAxis"] = categories(days, None);
    c["yAxis"] = values("value", None);
    let series: Vec<Value> = m
        .by_model
        .iter()
        .map(|g| {
            let data: Vec<f64> = m.daily.iter().map(|d| round(d.cost_by_model.get(&g.name).copied().unwrap_or(0.0), 4)).collect();
            let mut s = bars(&visible(&g.name), data);
            s["stack"] = "cost".into();
            s
        })
        .collect();
    c["series"] = series.into();
    c
}

/// Bars of error rate (%) by operation.
pub fn error_rate_by_operation(m: &Metrics) -> Value {
    let mut c = base("Error rate by operation (%)", "axis", "4%", None);
    c["xAxis"] = categories(m.by_operation.iter().map(|g| visible(&g.name).into_owned()).collect(), Some(20));
    c["yAxis"] = values("value", None);
    c["series"] = json!([bars("Error rate %", m.by_operation.iter().map(|g| round(g.totals.error_rate() * 100.0, 2)).collect())]);
    c
}

/// One point per operation: average cost per call against p95 latency.
pub fn latency_vs_cost(m: &Metrics) -> Value {
    let mut c = base("p95 latency (s) vs average cost per call (USD)", "item", "6%", Some("15%"));
    c["legend"] = legend();
    c["xAxis"] = values("log", Some("USD per call"));
    c["yAxis"] = values("value", Some("p95 s"));
    let series: Vec<Value> = m
        .by_operation
        .iter()
        .map(|g| json!({"type": "scatter", "name": visible(&g.name), "symbolSize": 12, "data": [[round(g.totals.avg_cost().max(1e-7), 7), round(g.p95_latency_s, 3)]]}))
        .collect();
    c["series"] = series.into();
    c
}

/// Histogram of one operation's per-trace cost on log-spaced bins, with
/// the outlier thresholds named in the title.
pub fn trace_cost_distribution(v: &OperationVariance) -> Value {
    let label = |x: f64| if x >= 0.01 { format!("${x:.2}") } else { format!("${x:.4}") };
    let bins: Vec<String> = v.histogram.iter().map(|b| format!("{}-{}", label(b.lo), label(b.hi))).collect();
    let title = format!("{}: cost per trace (outlier above {})", visible(&v.operation), label(v.thresholds.sd_rule.min(v.thresholds.mad_rule)));
    let mut c = base(&title, "axis", "4%", None);
    c["xAxis"] = categories(bins, Some(30));
    c["yAxis"] = values("value", Some("traces"));
    c["series"] = json!([bars("Traces", v.histogram.iter().map(|b| b.count as f64).collect())]);
    c
}

#[wasm_bindgen]
extern "C" {
    /// A chart ECharts drew (`echarts.init`'s answer).
    type Echarts;

    /// `echarts.init(el, theme, {width, height})`.
    #[wasm_bindgen(catch, js_namespace = echarts, js_name = init)]
    fn init(el: &web_sys::Element, theme: &str, size: &JsValue) -> Result<Echarts, JsValue>;

    /// `chart.setOption(option)`.
    #[wasm_bindgen(catch, method, js_name = setOption)]
    fn set_option(this: &Echarts, option: &JsValue) -> Result<(), JsValue>;
}

/// Draws `option` into `el`, `width` by `height` pixels, in ECharts' dark
/// theme or its default one.
fn draw(el: &web_sys::Element, option: &Value, width: u32, height: u32, dark: bool) -> Result<(), JsValue> {
    let size = js_sys::Object::new();
    js_sys::Reflect::set(&size, &"width".into(), &width.into())?;
    js_sys::Reflect::set(&size, &"height".into(), &height.into())?;
    let option = js_sys::JSON::parse(&option.to_string())?;
    init(el, if dark { "dark" } else { "" }, &size)?.set_option(&option)
}

/// Draws `chart` into a box of the given height once the box is in the page.
/// `name` marks the box (`data-chart`); its element id is made unique, since
/// a page may show a chart twice.
#[component]
pub fn ChartView(#[prop(into)] name: String, chart: Value, #[prop(default = 320)] height: u32) -> impl IntoView {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = format!("chart-{name}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let node = NodeRef::<Div>::new();
    let label = name.clone();
    // Drawn again in the other theme when the page switches.
    let dark = use_context::<super::app::Dark>().map(|d| d.0);
    Effect::new(move |_| {
        let dark = dark.is_some_and(|d| d.get());
        let Some(el) = node.get() else { return };
        if !echarts_loaded() {
            el.set_text_content(Some("Charts need ECharts (echarts.min.js), which did not load."));
            return;
        }
        let (label, mut chart) = (label.clone(), chart.clone());
        // Drawn once the page has painted: a dozen charts take hundreds of
        // milliseconds, and the tables and report need not wait for them.
        request_animation_frame(move || {
            set_timeout(
                move || {
                    if !el.is_connected() {
                        return; // the results were replaced meanwhile
                    }
                    let width = el.client_width().max(300) as u32;
                    dispose(&el);
                    if dark {
                        chart["backgroundColor"] = "transparent".into();
                    }
                    if let Err(e) = draw(&el, &chart, width, height, dark) {
                        leptos::logging::error!("chart {label}: {e:?}");
                    }
                },
                std::time::Duration::ZERO,
            )
        });
    });
    view! { <div class="chart" id=id data-chart=name node_ref=node style=format!("height:{height}px")></div> }
}

/// Disposes of the chart drawn in `el` before, if any (`echarts.getInstanceByDom(el).dispose()`).
fn dispose(el: &web_sys::HtmlDivElement) {
    use wasm_bindgen::JsCast;
    let Ok(echarts) = js_sys::Reflect::get(&window(), &"echarts".into()) else { return };
    let Some(get) = js_sys::Reflect::get(&echarts, &"getInstanceByDom".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else { return };
    let Ok(instance) = get.call1(&echarts, el) else { return };
    if let Some(dispose) = js_sys::Reflect::get(&instance, &"dispose".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        let _ = dispose.call0(&instance);
    }
}

/// Fits every chart drawn on the page to its box again (after the window
/// was resized): `echarts.getInstanceByDom(el).resize({width})` for each
/// `data-chart` box, with the box's width (a chart keeps the width it was
/// drawn with unless told another).
pub fn fit_all() {
    use wasm_bindgen::JsCast;
    let Ok(echarts) = js_sys::Reflect::get(&window(), &"echarts".into()) else { return };
    let Some(get) = js_sys::Reflect::get(&echarts, &"getInstanceByDom".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else { return };
    let Ok(boxes) = document().query_selector_all("[data-chart]") else { return };
    for i in 0..boxes.length() {
        let Some(el) = boxes.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
        let Ok(instance) = get.call1(&echarts, &el) else { continue };
        let Some(resize) = js_sys::Reflect::get(&instance, &"resize".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else { continue };
        let size = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&size, &"width".into(), &el.client_width().max(300).into());
        let _ = resize.call1(&instance, &size);
    }
}

/// Whether the page loaded ECharts (`window.echarts`).
pub fn echarts_loaded() -> bool {
    web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &"echarts".into()).unwrap_or(false))
}
