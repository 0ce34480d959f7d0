"""Hidden states: units × characters, sorted by what they track; one unit's colors over the text; the units of a
selected span and where else they fire (LSTMVis); the path of h_t in two dimensions."""
import streamlit as st

import ui
from rnnviz import inspect_analysis as ia
from rnnviz import inspect_analysis_plots as iap
from rnnviz import inspect_plots as ip
from rnnviz.i18n import has, t
from ui import charts, explain, inside, present

ui.ensure_app()

SORTS = ("variance", "feature")
UNIT = "hidden_unit"
SPAN = "hidden_span"

st.title(t("hidden_states.title"))
follow = inside.follow_toggle(ui.active_model())


def feature_label(name: str) -> str:
    """A feature of :data:`rnnviz.inspect_analysis.FEATURES` in words, in the interface's language."""
    key = f"hidden_states.feature_{name}"
    return t(key) if has(key) else ia.FEATURES[name].label


def page() -> None:
    active = inside.current_model()
    inside.model_caption(active)
    explain.what_you_see("hidden_states", active.config.kind)
    text = inside.text_box(active)
    if text is None:
        return
    full = inside.traced(active, text)
    if full is None:
        return
    inside.flag_unknown(full)
    layer = inside.layer_picker(full)
    win = inside.window_picker(full)

    # ------------------------------------------------------------ all units × characters
    st.subheader(t("hidden_states.all_units"))
    n_units = full.num_units
    with present.secondary():
        left, mid, right = st.columns([3, 3, 2])
        ui.remember("hidden_sort", "variance", list(SORTS))
        sort = left.segmented_control(t("hidden_states.sort"), list(SORTS), key="hidden_sort", required=True,
                                      format_func=lambda s: t(f"hidden_states.sort_{s}"))
        ui.remember("hidden_feature", "vowel", list(ia.FEATURES))
        feature = mid.selectbox(t("hidden_states.feature"), list(ia.FEATURES), format_func=feature_label,
                                key="hidden_feature", disabled=sort != "feature", help=t("hidden_states.feature_help"))
        if n_units > 8:
            inside.remember_number("hidden_n_units", min(32, n_units), 1, n_units)
            shown = right.number_input(t("hidden_states.units_shown"), 1, n_units, key="hidden_n_units")
        else:
            shown = n_units
    r = None
    if sort == "feature":
        values = ia.feature_values(text, feature)
        if float(values.std()) == 0:
            need = ia.FEATURES[feature].needs
            why = (t("hidden_states.feature_missing", need=need, feature=feature_label(feature)) if need else
                   t("hidden_states.feature_constant", feature=feature_label(feature)))
            st.warning(why, icon="🤷")
            sort = "variance"
        else:
            order, r = ia.units_by_correlation(full, values, layer)
    if sort == "variance":
        order = full.unit_order(layer, "variance")
        how = t("hidden_states.by_variance")
    else:
        how = t("hidden_states.by_feature", feature=feature_label(feature))
    order = order.tolist()
    charts.show(ip.hidden_heatmap(win, layer, units=order[:shown], ordered_by=how, clickable=True),
                key="hidden_heatmap", **explain.click_to_pick("hidden_heatmap", "hidden_step"))
    colors = t("hidden_states.colors_tanh" if full.bounds("hidden") else "hidden_states.colors_relu")
    st.caption(t("hidden_states.heatmap_caption", colors=colors))
    explain.step_panel(active.model, full, layer, range(win.offset, win.offset + win.num_steps), order,
                       key="hidden_step")

    # ------------------------------------------------------------ one unit over the text
    st.subheader(t("hidden_states.one_unit"))

    def unit_name(u: int) -> str:
        if r is not None:
            return t("hidden_states.unit_r", label=full.unit_label(u), r=float(r[u]))
        return t("hidden_states.unit_variance", label=full.unit_label(u), variance=float(var[u]))

    var = full.unit_variance(layer)
    inside.reset_when(UNIT, (active.key, layer, how), order[0])  # a new order starts from its first unit
    ui.remember(UNIT, order[0], order)  # after the reset, so that a unit in a newly opened link wins
    unit = st.selectbox(t("hidden_states.unit"), order, format_func=unit_name, key=UNIT)
    cut = ia.window(full, win.offset, min(full.num_steps, win.offset + 2_000)) if full.num_steps > 2_000 else full
    st.markdown(ip.unit_text_html(cut, layer, unit), unsafe_allow_html=True)
    span_note = (t("hidden_states.span_note", start=cut.offset, stop=cut.offset + cut.num_steps - 1)
                 if cut is not full else "")
    st.caption(t("hidden_states.text_caption", label=full.unit_label(unit), span=span_note))

    # ------------------------------------------------------------ select and match
    st.subheader(t("hidden_states.select"))
    sample = inside.sample_trace(active)
    a0, a1 = win.offset, win.offset + win.num_steps
    default_span = ia.default_span(text, a0, a1)
    inside.reset_when(SPAN, (active.key, text, a0), default_span)  # new text or window
    ui.remember(SPAN, default_span)
    c1, c2 = st.columns([4, 1])
    start, stop = c1.slider(t("hidden_states.span"), a0, a1, key=SPAN)
    inside.remember_number("hidden_k", min(5, n_units), 1, min(10, n_units))
    with c2, present.secondary():
        k = st.number_input(t("hidden_states.k"), 1, min(10, n_units), key="hidden_k")
    if stop <= start:
        st.info(t("hidden_states.empty_span"))
    else:
        ref = sample[0] if sample else None
        sel = ia.select_units(full, layer, start, stop, k=k, reference=ref)
        st.markdown(t("hidden_states.selected", span=inside.data_html(repr(text[start:stop]), "code")),
                    unsafe_allow_html=True)
        charts.show(iap.selection_heatmap(win, sel), key="hidden_selection")
        if sample:
            matches = ia.find_matches(sample[0], sel)
            where = t("hidden_states.in_sample", n=sample[0].num_steps, corpus=inside.data_html(sample[1]))
        else:
            matches = ia.find_matches(full, sel, exclude=(start, stop))
            where = t("hidden_states.in_text")
        st.markdown(t("hidden_states.matches", n=len(sel.units), where=where), unsafe_allow_html=True)
        if matches:
            st.markdown(iap.matches_html(matches), unsafe_allow_html=True)
        else:
            st.info(t("hidden_states.no_matches"))
        st.caption(t("hidden_states.match_caption"))

    # ------------------------------------------------------------ PCA
    st.subheader(t("hidden_states.path"))
    if win.num_steps < 3:
        st.info(t("hidden_states.path_short"))
    else:
        charts.show(iap.pca_trajectory(win, layer), key="hidden_pca")
        st.caption(t("hidden_states.path_caption", n=full.num_units), unsafe_allow_html=True)


inside.body(follow, page)
