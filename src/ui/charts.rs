//! The dashboard's charts: ECharts options built with `charming` from the
//! analysis (plain data), and [`ChartView`], which draws one into the page.

use crate::analysis::metrics::Metrics;
use crate::analysis::variance::OperationVariance;
use crate::format::visible;
use charming::component::{Axis, Grid, Legend, LegendType, Title};
use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
use charming::series::{Bar, Scatter};
use charming::Chart;
use leptos::html::Div;
use leptos::prelude::*;

/// Rounds for display in tooltips (ECharts shows values as given).
fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn base(title: &str) -> Chart {
    Chart::new().animation(false).title(Title::new().text(title).left("center")).tooltip(Tooltip::new().trigger(Trigger::Axis))
}

/// Horizontal bars of cost (USD) by operation, most expensive on top.
pub fn cost_by_operation(m: &Metrics) -> Chart {
    let ops: Vec<_> = m.by_operation.iter().rev().collect();
    base("Cost by operation (USD)")
        .grid(Grid::new().left("3%").right("6%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Value))
        .y_axis(Axis::new().type_(AxisType::Category).data(ops.iter().map(|g| visible(&g.name).into_owned()).collect()))
        .series(Bar::new().name("Cost").data(ops.iter().map(|g| round(g.totals.cost_usd, 4)).collect()))
}

/// Bars of cost (USD) by model.
pub fn cost_by_model(m: &Metrics) -> Chart {
    base("Cost by model (USD)")
        .grid(Grid::new().left("3%").right("4%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).axis_label(AxisLabel::new().rotate(20)).data(m.by_model.iter().map(|g| visible(&g.name).into_owned()).collect()))
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(Bar::new().name("Cost").data(m.by_model.iter().map(|g| round(g.totals.cost_usd, 4)).collect()))
}

/// Stacked daily cost (USD) by model.
pub fn daily_cost_by_model(m: &Metrics) -> Chart {
    let days: Vec<String> = m.daily.iter().map(|d| d.day.format("%m-%d").to_string()).collect();
    let mut chart = base("Daily cost by model (USD)")
        .legend(Legend::new().type_(LegendType::Scroll).top("bottom"))
        .grid(Grid::new().left("3%").right("4%").bottom("15%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(Axis::new().type_(AxisType::Value));
    for model in m.by_model.iter().map(|g| &g.name) {
        let data: Vec<f64> = m.daily.iter().map(|d| round(d.cost_by_model.get(model).copied().unwrap_or(0.0), 4)).collect();
        chart = chart.series(Bar::new().name(visible(model)).stack("cost").data(data));
    }
    chart
}

/// Bars of error rate (%) by operation.
pub fn error_rate_by_operation(m: &Metrics) -> Chart {
    base("Error rate by operation (%)")
        .grid(Grid::new().left("3%").right("4%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).axis_label(AxisLabel::new().rotate(20)).data(m.by_operation.iter().map(|g| visible(&g.name).into_owned()).collect()))
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(Bar::new().name("Error rate %").data(m.by_operation.iter().map(|g| round(g.totals.error_rate() * 100.0, 2)).collect()))
}

/// One point per operation: average cost per call against p95 latency.
pub fn latency_vs_cost(m: &Metrics) -> Chart {
    let mut chart = Chart::new()
        .animation(false)
        .title(Title::new().text("p95 latency (s) vs average cost per call (USD)").left("center"))
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .legend(Legend::new().type_(LegendType::Scroll).top("bottom"))
        .grid(Grid::new().left("3%").right("6%").bottom("15%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Log).name("USD per call"))
        .y_axis(Axis::new().type_(AxisType::Value).name("p95 s"));
    for g in &m.by_operation {
        chart = chart.series(Scatter::new().name(visible(&g.name)).symbol_size(12).data(vec![vec![round(g.totals.avg_cost().max(1e-7), 7), round(g.p95_latency_s, 3)]]));
    }
    chart
}

/// Histogram of one operation's per-trace cost on log-spaced bins, with
/// the outlier thresholds named in the title.
pub fn trace_cost_distribution(v: &OperationVariance) -> Chart {
    let label = |x: f64| if x >= 0.01 { format!("${x:.2}") } else { format!("${x:.4}") };
    let bins: Vec<String> = v.histogram.iter().map(|b| format!("{}-{}", label(b.lo), label(b.hi))).collect();
    base(&format!("{}: cost per trace (outlier above {})", visible(&v.operation), label(v.thresholds.sd_rule.min(v.thresholds.mad_rule))))
        .grid(Grid::new().left("3%").right("4%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).axis_label(AxisLabel::new().rotate(30)).data(bins))
        .y_axis(Axis::new().type_(AxisType::Value).name("traces"))
        .series(Bar::new().name("Traces").data(v.histogram.iter().map(|b| b.count as f64).collect()))
}

/// Draws `chart` into a box of the given height once the box is in the page.
/// `name` marks the box (`data-chart`); its element id is made unique, since
/// ECharts finds its box by id and a page may show a chart twice.
#[component]
pub fn ChartView(#[prop(into)] name: String, chart: Chart, #[prop(default = 320)] height: u32) -> impl IntoView {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let id = format!("chart-{name}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let node = NodeRef::<Div>::new();
    let (dom_id, label) = (id.clone(), name.clone());
    // Drawn again in the other theme when the page switches.
    let dark = use_context::<super::app::Dark>().map(|d| d.0);
    Effect::new(move |_| {
        let dark = dark.is_some_and(|d| d.get());
        let Some(el) = node.get() else { return };
        if !echarts_loaded() {
            el.set_text_content(Some("Charts need ECharts (echarts.min.js), which did not load."));
            return;
        }
        let (dom_id, label, chart) = (dom_id.clone(), label.clone(), chart.clone());
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
                    let theme = if dark { charming::theme::Theme::Dark } else { charming::theme::Theme::Default };
                    let chart = if dark { chart.background_color("transparent") } else { chart };
                    if let Err(e) = charming::WasmRenderer::new(width, height).theme(theme).render(&dom_id, &chart) {
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
