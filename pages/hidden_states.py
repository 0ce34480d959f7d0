"""Hidden states: units × characters, sorted by what they track; one unit's colors over the text; the units of a
selected span and where else they fire (LSTMVis); the path of h_t in two dimensions."""
import streamlit as st

import ui
from rnnviz import inspect_analysis as ia
from rnnviz import inspect_analysis_plots as iap
from rnnviz import inspect_plots as ip
from ui import explain, inside

ui.ensure_app()

SORTS = {"variance": "variance", "feature": "correlation with a feature"}
UNIT = "hidden_unit"
SPAN = "hidden_span"

st.title("🧠 Hidden states: what each unit does as the model reads")
follow = inside.follow_toggle(ui.active_model())


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
    st.subheader("Every unit, character by character")
    left, mid, right = st.columns([3, 3, 2])
    ui.remember("hidden_sort", "variance", list(SORTS))
    sort = left.segmented_control("Sort units by", list(SORTS), format_func=SORTS.get, key="hidden_sort",
                                  required=True)
    ui.remember("hidden_feature", "vowel", list(ia.FEATURES))
    feature = mid.selectbox("Feature", list(ia.FEATURES), format_func=lambda f: ia.FEATURES[f].label,
                            key="hidden_feature", disabled=sort != "feature",
                            help="A property of each character read. Units are sorted by the strength of their "
                                 "correlation with it (positive or negative).")
    n_units = full.num_units
    if n_units > 8:
        inside.remember_number("hidden_n_units", min(32, n_units), 1, n_units)
        shown = right.number_input("Units shown", 1, n_units, key="hidden_n_units")
    else:
        shown = n_units
    r = None
    if sort == "feature":
        values = ia.feature_values(text, feature)
        if float(values.std()) == 0:
            need = ia.FEATURES[feature].needs
            why = f"has no {need}" if need else "gives it the same value everywhere"
            st.warning(f"This text {why}, so no unit can correlate with “{ia.FEATURES[feature].label}”. Pick "
                       "another feature or a text where it changes; the units are sorted by variance meanwhile.",
                       icon="🤷")
            sort = "variance"
        else:
            order, r = ia.units_by_correlation(full, values, layer)
    if sort == "variance":
        order = full.unit_order(layer, "variance")
        how = "variance"
    else:
        how = f"|r| with “{ia.FEATURES[feature].label}”"
    order = order.tolist()
    st.plotly_chart(ip.hidden_heatmap(win, layer, units=order[:shown], ordered_by=how), theme=None,
                    key="hidden_heatmap")
    colors = ("red: the unit is above 0 after reading that character, blue: below (tanh keeps every value in −1…1)"
              if full.bounds("hidden") else "darker: the unit is near 0 after reading that character, brighter: "
                                             "larger (ReLU keeps every value at or above 0)")
    st.caption(f"Each cell is one unit's value right after one character; {colors}. Rows that change color at "
               "spaces, vowels or line ends are units that track them.")
    explain.step_panel(active.model, full, layer, range(win.offset, win.offset + win.num_steps), order,
                       key="hidden_step")

    # ------------------------------------------------------------ one unit over the text
    st.subheader("One unit, colored over the text")

    def unit_name(u: int) -> str:
        extra = f" · r = {float(r[u]):+.2f}" if r is not None else f" · variance {float(var[u]):.3f}"
        return f"unit {full.unit_label(u)}{extra}"

    var = full.unit_variance(layer)
    inside.reset_when(UNIT, (active.key, layer, how), order[0])  # a new order starts from its first unit
    if st.session_state[UNIT] not in order:
        st.session_state[UNIT] = order[0]
    unit = st.selectbox("Unit (in the order above)", order, format_func=unit_name, key=UNIT)
    cut = ia.window(full, win.offset, min(full.num_steps, win.offset + 2_000)) if full.num_steps > 2_000 else full
    st.markdown(ip.unit_text_html(cut, layer, unit), unsafe_allow_html=True)
    span_note = f" (characters {cut.offset:,}–{cut.offset + cut.num_steps - 1:,})" if cut is not full else ""
    st.caption(f"Each character's background is unit {full.unit_label(unit)}'s value right after reading it"
               f"{span_note}: red above 0, blue below. Hover a character for the value and the model's five "
               "likeliest next characters. Karpathy's quote and line-length neurons look like this.")

    # ------------------------------------------------------------ select and match
    st.subheader("Select a span: which units fire there, and where else")
    sample = inside.sample_trace(active)
    a0, a1 = win.offset, win.offset + win.num_steps
    inside.reset_when(SPAN, (active.key, text, a0), ia.default_span(text, a0, a1))  # new text or window
    c1, c2 = st.columns([4, 1])
    start, stop = c1.slider("Span of the text (positions, within the characters shown above)", a0, a1, key=SPAN)
    inside.remember_number("hidden_k", min(5, n_units), 1, min(10, n_units))
    k = c2.number_input("Units", 1, min(10, n_units), key="hidden_k")
    if stop <= start:
        st.info("Drag the two ends of the slider apart to select at least one character.")
    else:
        ref = sample[0] if sample else None
        sel = ia.select_units(full, layer, start, stop, k=k, reference=ref)
        st.markdown(f"Selected: `{text[start:stop]!r}`")
        st.plotly_chart(iap.selection_heatmap(win, sel), theme=None, key="hidden_selection")
        if sample:
            matches = ia.find_matches(sample[0], sel)
            where = f"in {sample[0].num_steps:,} characters of {sample[1]}"
        else:
            matches = ia.find_matches(full, sel, exclude=(start, stop))
            where = "elsewhere in this text (no corpus to sample)"
        st.markdown(f"**Where these {len(sel.units)} units fire the same way, {where}:**")
        if matches:
            st.markdown(iap.matches_html(matches), unsafe_allow_html=True)
        else:
            st.info("Nowhere else do these units fire at least half as strongly as on the selection.")
        st.caption("The units chosen are those furthest from their usual level (in standard deviations, measured "
                   "on the corpus sample) over the selection; a match is a stretch as long as the selection where "
                   "they sit as far out on the same side. This is LSTMVis's select-and-match (Strobelt et al., 2018).")

    # ------------------------------------------------------------ PCA
    st.subheader("The path of the hidden state")
    if win.num_steps < 3:
        st.info("The path needs at least three characters.")
    else:
        st.plotly_chart(iap.pca_trajectory(win, layer), theme=None, key="hidden_pca")
        st.caption(f"Each point is H<sub>t</sub> after one character, projected from {full.num_units} dimensions "
                   "onto the two along which it varies most here. Similar contexts land close together: look for "
                   "the spaces, or the ends of words, gathering in one region.", unsafe_allow_html=True)


inside.body(follow, page)
