// The churn dashboard: ranks accounts by churn risk and explains a score.
//
// Every value from the server reaches the page through textContent or an
// attribute, never through innerHTML, so account ids and segment names
// are shown as text whatever they contain.
//
// Numbers the end-to-end test reads are exposed at full precision in
// data-* attributes beside the rounded text a person reads.

const TOKEN_KEY = "churn.token";
const SVG_NS = "http://www.w3.org/2000/svg";

// Log-odds are shown with this many decimals; the waterfall rounds them
// so that the printed numbers add up exactly.
const LOG_ODDS_DECIMALS = 3;

// The waterfall draws at most this many contribution bars; the smallest
// contributions beyond them share one bar.
const MAX_BARS = 8;

// A ranking row's sparkline shows this many calendar weeks, ending with
// the account's latest snapshot.
const SPARK_WEEKS = 12;

// The API answers at most this many accounts a page.
const MAX_LIMIT = 1000;

// ---------------------------------------------------------------- API

// AuthError is a 401 from the API: the page needs a (new) token.
class AuthError extends Error {
  constructor(message, hadToken) {
    super(message);
    this.hadToken = hadToken;
  }
}

// NotFoundError is a 404 from the API: what was asked for does not
// exist on this server. reason is the server's message alone.
class NotFoundError extends Error {
  constructor(path, reason) {
    super(`${path}: ${reason}`);
    this.reason = reason;
  }
}

// api fetches a JSON document from the server, with the stored token.
// Paths are relative, so the page also works under a path prefix.
async function api(path) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    headers.Authorization = "Bearer " + token;
  }
  const resp = await fetch(path, { headers, cache: "no-store" });
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  const reason = body && typeof body.error === "string" ? body.error : `${resp.status} ${resp.statusText}`;
  if (resp.status === 401) {
    throw new AuthError(reason, Boolean(token));
  }
  if (resp.status === 404) {
    throw new NotFoundError(path.split("?")[0], reason);
  }
  if (!resp.ok) {
    throw new Error(`${path.split("?")[0]}: ${reason}`);
  }
  return body;
}

// ---------------------------------------------------------------- DOM

// el creates an element with attributes and children; strings become
// text nodes. Attributes whose value is null or false are left out.
function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// svg is el for SVG elements.
function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.flat(Infinity).filter(Boolean).join(" ") : value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- formats

const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DASH = "—";
const MINUS = "−";

function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function percent(p, digits = 1) {
  return isNumber(p) ? (100 * p).toFixed(digits) + "%" : DASH;
}

function money(v) {
  return isNumber(v) ? intFormat.format(v) : DASH;
}

// value formats a feature value as Go's %.4g does: four significant
// digits, no trailing zeros.
function value(v) {
  if (!isNumber(v)) {
    return "unknown";
  }
  const s = Number.isInteger(v) && Math.abs(v) < 1e6 ? String(v) : String(Number(v.toPrecision(4)));
  return s.replace("-", MINUS);
}

// signedUnits formats an integer count of 10^-decimals with its sign, as
// the waterfall prints its rounded numbers.
function signedUnits(units, decimals = LOG_ODDS_DECIMALS) {
  const sign = units < 0 ? MINUS : "+";
  return sign + (Math.abs(units) / 10 ** decimals).toFixed(decimals);
}

function plainUnits(units, decimals = LOG_ODDS_DECIMALS) {
  return (units < 0 ? MINUS : "") + (Math.abs(units) / 10 ** decimals).toFixed(decimals);
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

// ---------------------------------------------------------------- pieces

// chip is the health colour as a labelled pill: the word is there for
// anyone who cannot tell the colours apart. attrs, when given, are more
// attributes of the pill.
function chip(health, attrs = {}) {
  const known = health === "red" || health === "yellow" || health === "green";
  return el("span", { ...attrs, class: ["chip", known && "chip-" + health] },
    el("span", { class: "dot", "aria-hidden": "true" }), capitalize(health || "unknown"));
}

// levelChip is a maturity level as a pill, its number and name ("2
// functional use"); a dash for an account no ladder placed.
const LEVEL_NAMES = { 1: "onboarding", 2: "functional use", 3: "strategic use", 4: "optimisation" };

function levelChip(level, name) {
  if (!isNumber(level) || level < 1) {
    return el("span", { class: "muted", title: "Not placed on a maturity level" }, DASH);
  }
  return el("span", {
    class: ["chip", "level", "level-" + level], "data-level": String(level), title: `Maturity level ${level} of 4`,
  }, `${level} ${name || ""}`.trim());
}

// healthChip is a ranked account's health chip. Under a segment file the
// account is coloured by its renewal segment's cut-offs, which the
// chip's title gives and its data attributes carry.
function healthChip(a) {
  const c = a.cutoffs;
  if (!c) {
    return chip(a.health);
  }
  return chip(a.health, {
    title: `${capitalize(a.health)} under the ${a.play_segment} segment's cut-offs: red at ${percent(c.red)} or more, yellow at ${percent(c.yellow)} or more (${c.rule})`,
    "data-cutoff-red": String(c.red), "data-cutoff-yellow": String(c.yellow),
  });
}

// GROUP_LABELS are the signal groups' short names, in the API's order.
const GROUP_LABELS = { product_use: "Product", support: "Support", financial: "Billing", account: "Account" };

// groupChips is an account's health by signal group as a row of small
// chips, so a reader sees "red because of support and billing, product
// use is fine". Each chip's colour is the group's own health (the base
// plus that group alone, under the account's cut-offs: its renewal
// segment's under a segment file, else the model's); its title gives the
// sub-score in log-odds.
function groupChips(groups) {
  return el("div", { class: "group-chips" }, (groups || []).map((g) => {
    const known = g.health === "red" || g.health === "yellow" || g.health === "green";
    const label = GROUP_LABELS[g.group] || g.group;
    const lo = (g.log_odds >= 0 ? "+" : MINUS) + Math.abs(g.log_odds).toFixed(2);
    return el("span", {
      class: ["gchip", known && "chip-" + g.health], "data-group": g.group, "data-health": g.health,
      "data-log-odds": String(g.log_odds), title: `${label}: ${g.health}, ${lo} log-odds`,
    }, label, el("span", { class: "visually-hidden" }, ` ${g.health}`));
  }));
}

// change shows the week-over-week change in percentage points.
function change(delta) {
  if (!isNumber(delta)) {
    return el("span", { class: "muted", title: "No score last week" }, DASH);
  }
  const pts = 100 * delta;
  if (Math.abs(pts) < 0.05) {
    return el("span", { class: "change flat", title: "Unchanged since last week" }, "→ 0.0 pt");
  }
  const up = pts > 0;
  return el("span", {
    class: ["change", up ? "up" : "down"],
    title: `${up ? "Up" : "Down"} ${Math.abs(pts).toFixed(1)} percentage points since last week`,
  }, `${up ? "▲" : "▼"} ${up ? "+" : MINUS}${Math.abs(pts).toFixed(1)} pt`);
}

// renewalType names a contract's renewal type for a person: it says
// what a missed touchpoint risks.
function renewalType(t) {
  return t === "auto" ? "auto-renew" : t === "signature" ? "signature" : DASH;
}

function renewal(a) {
  if (!a.renewal_date) {
    return el("span", { class: "muted" }, DASH);
  }
  const days = a.days_to_renewal;
  return el("span", { class: ["renewal", days <= 30 && "soon"] },
    a.renewal_date, el("span", { class: "days" }, days === 0 ? "due" : `in ${days} d`));
}

function drivers(list) {
  return el("ul", { class: "drivers" }, (list || []).map((d) => {
    const raises = d.contribution > 0;
    return el("li", { class: raises ? "raises" : "lowers", title: d.direction },
      el("span", { class: "arrow", "aria-hidden": "true" }, raises ? "↑" : "↓"),
      el("span", {}, `${d.description} = ${value(d.value)}`,
        el("span", { class: "visually-hidden" }, ` (${d.direction})`)));
  }));
}

// ---------------------------------------------------------------- weeks

const WEEK_MS = 7 * 24 * 3600 * 1000;

function weekTime(week) {
  return Date.parse(week + "T00:00:00Z");
}

function weekName(t) {
  return new Date(t).toISOString().slice(0, 10);
}

// weekSlots lays weekly entries out on the calendar, one slot a week
// from the first entry's week to the last's: a week the snapshots skip
// becomes { week, missing: true }, so it shows as a gap rather than
// vanishing between its neighbours.
function weekSlots(entries) {
  const slots = [];
  if (entries.length === 0) {
    return slots;
  }
  const first = weekTime(entries[0].week);
  for (const e of entries) {
    const i = Math.round((weekTime(e.week) - first) / WEEK_MS);
    while (slots.length < i) {
      slots.push({ week: weekName(first + slots.length * WEEK_MS), missing: true });
    }
    slots.push(e);
  }
  return slots;
}

function weekList(weeks) {
  return weeks.length === 1 ? `the week of ${weeks[0]}` : `the weeks of ${weeks.join(", ")}`;
}

// sparkline draws weekly probabilities on calendar weeks: a week without
// a snapshot is a gap in the line and a shaded band, not a slope across
// it. weeks, when set, keeps the last that many calendar weeks. Its scale
// spans at least minSpan, so the noise of a steady account does not look
// like a trend.
function sparkline(series, opts = {}) {
  const { width = 96, height = 26, pad = 3, minSpan = 0.04, health, thresholds, weeks } = opts;
  let slots = weekSlots(series || []);
  if (weeks) {
    slots = slots.slice(-weeks);
  }
  const scored = (h) => !h.missing && isNumber(h.churn_probability);
  const points = slots.filter(scored);
  if (points.length === 0) {
    return el("span", { class: "muted" }, DASH);
  }
  const missing = slots.filter((h) => h.missing).map((h) => h.week);
  const ps = points.map((h) => h.churn_probability);
  let lo = Math.min(...ps);
  let hi = Math.max(...ps);
  if (thresholds) {
    lo = 0;
    hi = Math.max(hi, thresholds.red) * 1.1;
  }
  if (hi - lo < minSpan) {
    const mid = (hi + lo) / 2;
    lo = Math.max(0, mid - minSpan / 2);
    hi = lo + minSpan;
  }
  const step = slots.length === 1 ? 0 : (width - 2 * pad) / (slots.length - 1);
  const x = (i) => pad + (slots.length === 1 ? (width - 2 * pad) / 2 : i * step);
  // A history chart keeps room at the bottom for its week labels.
  const bottom = thresholds ? 18 : pad;
  const y = (p) => height - bottom - ((p - lo) / (hi - lo)) * (height - pad - bottom);
  const first = points[0];
  const last = points[points.length - 1];
  let label = points.length === 1
    ? `Churn probability ${percent(last.churn_probability)} in the week of ${last.week}`
    : `Weekly churn probability from ${percent(first.churn_probability)} in the week of ${first.week} ` +
      `to ${percent(last.churn_probability)} in the week of ${last.week}`;
  if (missing.length > 0) {
    label += `; no snapshot in ${weekList(missing)}`;
  }
  // With a score history, past weeks are the scores shown then
  // ("recorded"); weeks before it began are scored with today's model.
  const recorded = points.filter((h) => h.recorded).length;
  if (recorded > 0) {
    label += recorded === points.length - 1
      ? "; earlier weeks as shown then"
      : `; ${recorded} earlier weeks as shown then, the others scored again with today's model`;
  }
  // The line is drawn in runs of consecutive scored weeks.
  const runs = [];
  let run = [];
  slots.forEach((h, i) => {
    if (scored(h)) {
      run.push([x(i), y(h.churn_probability)]);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  });
  if (run.length > 0) {
    runs.push(run);
  }
  const g = svg("svg", {
    class: ["sparkline", thresholds && "history"], viewBox: `0 0 ${width} ${height}`,
    width, height, role: "img", "aria-label": label,
    "data-missing-weeks": missing.length > 0 ? missing.join(" ") : null,
    "data-runs": String(runs.length),
    "data-recorded-weeks": String(recorded),
  }, svg("title", {}, label));
  slots.forEach((h, i) => {
    if (h.missing) {
      const half = Math.max(step / 2, 2);
      g.append(svg("rect", {
        class: "missing-week", x: x(i) - half, width: 2 * half, y: pad, height: height - pad - bottom,
      }, svg("title", {}, `No snapshot in the week of ${h.week}`)));
    }
  });
  // Labels go on top of every line, each with a halo (see the styles),
  // so that no line runs through one.
  const labels = [];
  if (thresholds) {
    // Each cut-off is labelled just above its line, but never lower
    // than just above the axis, and never within a line of the label
    // below it: close cut-offs, or one near zero, would otherwise
    // print over each other or over the axis and its week labels.
    let floor = y(lo) - 4;
    for (const [name, p] of [["yellow", thresholds.yellow], ["red", thresholds.red]]) {
      if (isNumber(p) && p <= hi) {
        const at = Math.min(y(p) - 3, floor);
        g.append(svg("line", { class: "threshold " + name, x1: pad, x2: width - pad, y1: y(p), y2: y(p) }));
        labels.push(svg("text", { class: ["threshold-label", name], x: pad + 2, y: at }, `${name} ${percent(p)}`));
        floor = at - 12;
      }
    }
    g.append(svg("line", { class: "baseline", x1: pad, x2: width - pad, y1: y(lo), y2: y(lo) }));
    labels.push(
      svg("text", { class: "axis-label", x: pad, y: height - 4 }, slots[0].week),
      svg("text", { class: "axis-label", x: width - pad, y: height - 4, "text-anchor": "end" }, slots[slots.length - 1].week),
      svg("text", { class: "axis-label", x: width - pad, y: y(last.churn_probability) - 8, "text-anchor": "end" },
        percent(last.churn_probability)));
  }
  for (const r of runs) {
    g.append(r.length === 1
      ? svg("circle", { class: "point", cx: r[0][0], cy: r[0][1], r: thresholds ? 2.5 : 1.5 })
      : svg("polyline", { class: "line", points: r.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ") }));
  }
  const lastIndex = slots.lastIndexOf(last);
  g.append(svg("circle", {
    class: ["last", health && "fill-" + health], cx: x(lastIndex), cy: y(last.churn_probability),
    r: thresholds ? 4 : 2.5,
  }));
  g.append(...labels);
  return g;
}

// ---------------------------------------------------------------- survival

// survivalCurve draws an account's survival curve from GET
// /v1/accounts/{id}/survival: S(k), the chance it is still a customer k
// weeks on, for k = 0 to 26, with its renewal date marked when the curve
// reaches it. The scale runs from 100% down to a tenth below the lowest
// point, so a curve that barely falls still shows its shape.
function survivalCurve(doc, opts = {}) {
  const { width = 420, height = 190, pad = 8, left = 40 } = opts;
  const pts = doc.curve;
  const n = pts.length - 1;
  const lowest = Math.min(...pts.map((p) => p.survival));
  const lo = Math.max(0, Math.floor((lowest - 0.02) * 10) / 10);
  const bottom = 18;
  const x = (k) => left + ((width - left - pad) * k) / n;
  const y = (v) => pad + (1 - (v - lo) / (1 - lo)) * (height - pad - bottom);
  const end = pts[n];
  const label = `Chance of still being a customer: ${percent(end.survival)} after ${n} weeks (week of ${end.week})`;
  const g = svg("svg", {
    id: "survival", class: "sparkline history survival", viewBox: `0 0 ${width} ${height}`,
    width, height, role: "img", "aria-label": label,
  }, svg("title", {}, label));
  for (const v of [1, lo]) {
    g.append(svg("line", { class: "baseline", x1: left, x2: width - pad, y1: y(v), y2: y(v) }),
      svg("text", { class: "axis-label", x: left - 4, y: y(v) + 3, "text-anchor": "end" }, percent(v, 0)));
  }
  g.append(
    svg("text", { class: "axis-label", x: left, y: height - 4 }, "now"),
    svg("text", { class: "axis-label", x: width - pad, y: height - 4, "text-anchor": "end" }, `${n} weeks`));
  const w = doc.weeks_to_renewal;
  if (w !== null && w !== undefined && w >= 0 && w <= n) {
    g.append(
      svg("line", { class: "renewal", x1: x(w), x2: x(w), y1: pad, y2: height - bottom, "data-weeks-ahead": String(w) },
        svg("title", {}, `Renewal on ${doc.renewal_date}: ${percent(doc.before_renewal)} chance of leaving before it`)),
      svg("text", { class: "axis-label renewal-label", x: x(w) + (w > n / 2 ? -4 : 4), y: pad + 10,
        "text-anchor": w > n / 2 ? "end" : "start" }, `renewal ${doc.renewal_date}`));
  }
  g.append(svg("polyline", {
    class: "line", points: pts.map((p) => `${x(p.weeks_ahead).toFixed(1)},${y(p.survival).toFixed(1)}`).join(" "),
  }));
  for (const p of pts) {
    g.append(svg("circle", {
      class: "point", cx: x(p.weeks_ahead), cy: y(p.survival), r: 2,
      "data-weeks-ahead": String(p.weeks_ahead), "data-survival": String(p.survival),
    }, svg("title", {}, `${p.weeks_ahead} weeks on (${p.week}): ${percent(p.survival)} still a customer`)));
  }
  return g;
}

// ---------------------------------------------------------------- waterfall

// waterfallBars turns a score's contributions into the bars to draw: the
// largest by size, then one bar for the rest when there are several.
// Grouping changes what is drawn, not the arithmetic: a group's value is
// the sum of its members.
function waterfallBars(contributions, describe) {
  const entries = Object.entries(contributions).map(([feature, v]) => {
    if (!isNumber(v)) {
      throw new Error(`the contribution of ${feature} is not a number`);
    }
    return { feature, value: v };
  });
  entries.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.feature.localeCompare(b.feature));
  const keep = entries.length > MAX_BARS ? MAX_BARS - 1 : entries.length;
  const bars = entries.slice(0, keep).map((e) => ({ label: describe(e.feature), features: [e.feature], value: e.value }));
  const rest = entries.slice(keep);
  if (rest.length > 0) {
    bars.push({
      label: `other ${rest.length} features`,
      features: rest.map((e) => e.feature),
      value: rest.reduce((sum, e) => sum + e.value, 0),
      group: true,
    });
  }
  return bars;
}

// roundToSum rounds values to integers that add up to target, each
// within one of its own rounding: start from plain rounding and move the
// difference, one unit at a time, onto the value that rounding moved
// furthest the other way (the largest-remainder method).
function roundToSum(values, target) {
  const units = values.map(Math.round);
  let diff = target - units.reduce((a, b) => a + b, 0);
  while (diff !== 0 && units.length > 0) {
    const step = Math.sign(diff);
    let best = 0;
    let gap = -Infinity;
    values.forEach((v, i) => {
      const g = step * (v - units[i]);
      if (g > gap) {
        gap = g;
        best = i;
      }
    });
    units[best] += step;
    diff -= step;
  }
  return units;
}

// waterfall draws base value + contributions = log-odds as horizontal
// bars, each starting where the previous one ended.
function waterfall(score, describe) {
  const scale = 10 ** LOG_ODDS_DECIMALS;
  const bars = waterfallBars(score.contributions, describe);
  const baseUnits = Math.round(score.base_value * scale);
  const totalUnits = Math.round(score.log_odds * scale);
  const shown = roundToSum(bars.map((b) => b.value * scale), totalUnits - baseUnits);

  const rowH = 28;
  const labelW = 270;
  const valueW = 70;
  const width = 760;
  const top = 26;
  const rows = bars.length + 2;
  const height = top + rows * rowH + 8;
  let at = score.base_value;
  const ends = [0, at];
  for (const b of bars) {
    at += b.value;
    ends.push(at);
  }
  ends.push(score.log_odds);
  let lo = Math.min(...ends);
  let hi = Math.max(...ends);
  const span = hi - lo || 1;
  lo -= span * 0.04;
  hi += span * 0.04;
  const plotL = labelW;
  const plotR = width - valueW;
  const x = (v) => plotL + ((v - lo) / (hi - lo)) * (plotR - plotL);

  const chart = svg("svg", {
    id: "waterfall", class: "waterfall", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Base value ${plainUnits(baseUnits)} plus ${bars.length} contribution bars gives log-odds ${plainUnits(totalUnits)}`,
    "data-base": String(score.base_value),
    "data-log-odds": String(score.log_odds),
    "data-probability": String(score.churn_probability),
  });

  // Axis: a few round log-odds ticks, and zero, where bars start.
  for (const t of ticks(lo, hi, 6)) {
    chart.append(svg("line", { class: t === 0 ? "axis zero" : "axis", x1: x(t), x2: x(t), y1: top - 6, y2: height - 4 }));
    chart.append(svg("text", { class: "tick", x: x(t), y: top - 10, "text-anchor": "middle" },
      t === 0 ? "0" : (t < 0 ? MINUS : "") + String(Math.abs(Number(t.toPrecision(6))))));
  }

  const row = (i, cls, label, from, to, text, attrs) => {
    const y = top + i * rowH;
    const x0 = x(Math.min(from, to));
    const w = Math.max(1, Math.abs(x(to) - x(from)));
    return svg("g", { class: ["step", cls], ...attrs },
      svg("title", {}, `${label}: ${text}`),
      svg("text", { class: "label", x: labelW - 10, y: y + rowH / 2 + 4, "text-anchor": "end" }, clip(label, 42)),
      svg("rect", { class: "bar", x: x0, y: y + 5, width: w, height: rowH - 10, rx: 2 }),
      svg("text", { class: "value", x: x(Math.max(from, to)) + 6, y: y + rowH / 2 + 4 }, text));
  };

  chart.append(row(0, "base", "Base value (model average)", 0, score.base_value, plainUnits(baseUnits),
    { "data-shown": plainUnits(baseUnits) }));
  at = score.base_value;
  bars.forEach((b, i) => {
    const next = at + b.value;
    const y = top + (i + 1) * rowH;
    chart.append(svg("line", { class: "connector", x1: x(at), x2: x(at), y1: y - 5, y2: y + 5 }));
    chart.append(row(i + 1, [b.value > 0 ? "raises" : "lowers", b.group && "group"], b.label, at, next,
      signedUnits(shown[i]), {
        "data-contribution": String(b.value),
        "data-shown": signedUnits(shown[i]),
        "data-features": b.features.join(" "),
      }));
    at = next;
  });
  const y = top + (bars.length + 1) * rowH;
  chart.append(svg("line", { class: "connector", x1: x(at), x2: x(at), y1: y - 5, y2: y + 5 }));
  chart.append(row(bars.length + 1, ["total", "health-" + (score.health || "none")], "Score (log-odds)", 0,
    score.log_odds, plainUnits(totalUnits), { "data-shown": plainUnits(totalUnits) }));

  const equation = [
    "base ", el("strong", {}, plainUnits(baseUnits)),
    " + Σ contributions ", el("strong", {}, signedUnits(totalUnits - baseUnits)),
    " = log-odds ", el("strong", {}, plainUnits(totalUnits)),
    " → probability 1 / (1 + e", el("sup", {}, plainUnits(-totalUnits)), ") = ",
    el("strong", { id: "detail-probability", "data-probability": String(score.churn_probability) },
      percent(score.churn_probability, 2)),
  ];
  return { chart, equation };
}

// ticks returns about n round numbers between lo and hi, and zero.
function ticks(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) {
    out.push(Math.abs(t) < step / 1e6 ? 0 : t);
  }
  return out;
}

function clip(s, n) {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

// ---------------------------------------------------------------- performance

// The realized-outcomes figures are printed with these many decimals.
const AUC_DECIMALS = 3;

// interval prints an estimate and its confidence interval, the estimate
// in a span of its own with its full value, for the end-to-end test.
function interval(iv, cls, fmt = (v) => v.toFixed(AUC_DECIMALS)) {
  if (!iv || !isNumber(iv.estimate)) {
    return el("span", { class: ["muted", cls], title: "Needs both churned and retained accounts" }, DASH);
  }
  const ci = isNumber(iv.lower) && isNumber(iv.upper) ? `${fmt(iv.lower)}–${fmt(iv.upper)}` : null;
  return el("span", { class: ["interval", cls] },
    el("span", { class: "estimate", "data-value": String(iv.estimate) }, fmt(iv.estimate)),
    ci && el("span", { class: "ci" }, ci));
}

function weeksWord(n) {
  return `${n} week${n === 1 ? "" : "s"}`;
}

// addWeeks returns the week n weeks after week.
function addWeeks(week, n) {
  return weekName(weekTime(week) + n * WEEK_MS);
}

// perfEmpty says why there is nothing to compare yet, and when there
// will be: a week's scores are checked once its horizon has passed,
// that is once the snapshots reach the week horizon weeks later.
function perfEmpty(rep) {
  const h = rep.horizon_weeks;
  const immature = rep.immature_weeks || [];
  if ((rep.matured_weeks || []).length > 0) {
    return [el("strong", {}, "No outcome known yet. "),
      `The matured ${weekList(rep.matured_weeks)} hold no account the snapshots still follow: ` +
      `${intFormat.format(rep.censored)} left before their outcome was known, ` +
      `${intFormat.format(rep.unknown_accounts)} are not in the snapshots.`];
  }
  if (immature.length === 0) {
    return [el("strong", {}, "No scores recorded yet. "),
      `The server records the scores it shows each week; each week's scores can be checked ${weeksWord(h)} later, ` +
      "when it is known who churned."];
  }
  const first = immature[0];
  const due = addWeeks(first, h);
  const left = Math.max(1, Math.round((weekTime(due) - weekTime(rep.as_of)) / WEEK_MS));
  return [el("strong", {}, `Scores recorded from the week of ${first}; first outcomes mature in ${weeksWord(left)}`),
    ` (with the snapshots of the week of ${due}), once the ${h}-week horizon has passed. ` +
    `Scores of ${weeksWord(immature.length)} await their outcome.`];
}

// calibrationChart draws, for each decile of scores, the mean churn
// probability given against the share that churned, with the interval
// of that share: points on the dashed diagonal are scores that came
// true on average.
function calibrationChart(deciles, title) {
  const width = 360;
  const height = 300;
  const left = 46;
  const right = 14;
  const top = 12;
  const bottom = 40;
  const points = deciles.filter((d) => isNumber(d.mean_predicted) && d.observed_rate && isNumber(d.observed_rate.estimate));
  const highest = Math.max(0.05, ...points.flatMap((d) => [d.mean_predicted, isNumber(d.observed_rate.upper) ? d.observed_rate.upper : d.observed_rate.estimate]));
  const tickList = ticks(0, Math.min(1, highest), 5);
  const hi = Math.min(1, Math.max(highest, tickList[tickList.length - 1]));
  const x = (v) => left + (v / hi) * (width - left - right);
  const y = (v) => height - bottom - (v / hi) * (height - top - bottom);
  const chart = svg("svg", {
    class: "calibration", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `${title}: observed churn rate against mean predicted probability, by decile of score`,
    "data-points": String(points.length),
  });
  for (const t of tickList) {
    chart.append(
      svg("line", { class: "grid", x1: x(0), x2: x(hi), y1: y(t), y2: y(t) }),
      svg("line", { class: "grid", x1: x(t), x2: x(t), y1: y(0), y2: y(hi) }),
      svg("text", { class: "tick", x: left - 6, y: y(t) + 3.5, "text-anchor": "end" }, percent(t, 0)),
      svg("text", { class: "tick", x: x(t), y: height - bottom + 14, "text-anchor": "middle" }, percent(t, 0)));
  }
  chart.append(
    svg("line", { class: "diagonal", x1: x(0), y1: y(0), x2: x(hi), y2: y(hi) }, svg("title", {}, "Perfect calibration")),
    svg("text", { class: "axis-title", x: (x(0) + x(hi)) / 2, y: height - 6, "text-anchor": "middle" }, "Mean churn probability given"),
    svg("text", {
      class: "axis-title", x: 12, y: (y(0) + y(hi)) / 2, "text-anchor": "middle",
      transform: `rotate(-90 12 ${(y(0) + y(hi)) / 2})`,
    }, "Share that churned"));
  if (points.length > 1) {
    chart.append(svg("polyline", {
      class: "line", points: points.map((d) => `${x(d.mean_predicted).toFixed(1)},${y(d.observed_rate.estimate).toFixed(1)}`).join(" "),
    }));
  }
  points.forEach((d, i) => {
    const o = d.observed_rate;
    const cx = x(d.mean_predicted);
    const g = svg("g", {
      class: "decile", "data-decile": String(i + 1), "data-predicted": String(d.mean_predicted),
      "data-observed": String(o.estimate), "data-rows": String(d.rows),
    }, svg("title", {}, `Decile ${i + 1} (${intFormat.format(d.rows)} account-weeks): given ${percent(d.mean_predicted)} on average, ` +
      `${percent(o.estimate)} churned` + (isNumber(o.lower) ? ` (${percent(o.lower)}–${percent(o.upper)})` : "")));
    if (isNumber(o.lower) && isNumber(o.upper)) {
      g.append(svg("line", { class: "whisker", x1: cx, x2: cx, y1: y(o.lower), y2: y(o.upper) }));
    }
    g.append(svg("circle", { class: "point", cx, cy: y(o.estimate), r: 4 }));
    chart.append(g);
  });
  return chart;
}

// calibrationTable is the chart's numbers, for those who cannot see it.
function calibrationTable(deciles) {
  return el("details", { class: "calibration-table" },
    el("summary", {}, "Calibration by decile, in numbers"),
    el("table", { class: "compact" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", class: "num" }, "Decile"),
        el("th", { scope: "col", class: "num" }, "Account-weeks"),
        el("th", { scope: "col", class: "num" }, "Mean probability given"),
        el("th", { scope: "col", class: "num" }, "Share that churned"))),
      el("tbody", {}, deciles.map((d, i) => el("tr", {},
        el("td", { class: "num" }, i + 1),
        el("td", { class: "num" }, intFormat.format(d.rows)),
        el("td", { class: "num" }, percent(d.mean_predicted)),
        el("td", { class: "num" }, interval(d.observed_rate, null, (v) => percent(v))))))));
}

// perfVersion is the card of one model version: a row per segment, and
// the calibration chart of the segment chosen (all segments at first).
function perfVersion(groups, serving, validAUC) {
  const all = groups.find((g) => g.segment === "") || groups[0];
  const version = all.model_version;
  const segmentName = (g) => g.segment === "" ? "All segments" : g.segment;
  const rows = groups.map((g) => el("tr", {
    "data-segment": g.segment, class: g.segment === "" && "all",
  },
  el("th", { scope: "row" }, segmentName(g)),
  el("td", { class: "num rows", "data-rows": String(g.rows) }, intFormat.format(g.rows)),
  el("td", { class: "num" }, `${intFormat.format(g.positives)}`,
    el("span", { class: "muted" }, ` (${percent(g.churn_rate && g.churn_rate.estimate)})`)),
  el("td", { class: "num auc" }, interval(g.roc_auc)),
  el("td", { class: "num pr-auc", title: `Chance level: the churn rate, ${percent(g.churn_rate && g.churn_rate.estimate)}` },
    interval(g.pr_auc)),
  el("td", { class: "num" }, interval(g.top_decile && g.top_decile.churn_rate, null, (v) => percent(v))),
  el("td", { class: "num lift", "data-value": String(g.top_decile && g.top_decile.lift) },
    isNumber(g.top_decile && g.top_decile.lift) ? `${g.top_decile.lift.toFixed(1)}×` : DASH)));

  const chartBox = el("div", { class: "chart-box" });
  const draw = (g) => {
    chartBox.replaceChildren(calibrationChart(g.calibration || [], `Calibration of ${version}, ${segmentName(g)}`),
      calibrationTable(g.calibration || []));
    chartBox.dataset.segment = g.segment;
  };
  draw(all);
  const select = el("select", { class: "perf-segment", "aria-label": `Segment of the calibration chart of ${version}` },
    groups.map((g) => el("option", { value: g.segment }, segmentName(g))));
  select.addEventListener("change", () => draw(groups.find((g) => g.segment === select.value) || all));

  const note = [`${weeksWord(all.weeks)} scored, ${all.first_week}`, all.weeks > 1 ? ` to ${all.last_week}` : "",
    ` · ${intFormat.format(all.rows)} account-weeks with a known outcome, ${intFormat.format(all.positives)} churned`];
  if (serving && isNumber(validAUC)) {
    note.push(` · validation ROC AUC at training ${validAUC.toFixed(AUC_DECIMALS)}`);
  }
  return el("article", { class: "card perf-version", "data-model-version": version },
    el("div", { class: "perf-version-head" },
      el("h3", {}, "Model ", el("code", {}, version)),
      serving && el("span", { class: "chip chip-serving" }, "Serving now")),
    el("p", { class: "muted" }, ...note),
    el("div", { class: "perf-grid" },
      el("div", { class: "scroll" },
        el("table", { class: "compact perf-table" },
          el("caption", { class: "visually-hidden" }, `Realized performance of model ${version}, by segment`),
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "Segment"),
            el("th", { scope: "col", class: "num", title: "Scored account-weeks whose outcome has matured" }, "Account-weeks"),
            el("th", { scope: "col", class: "num" }, "Churned"),
            el("th", { scope: "col", class: "num" }, "ROC AUC"),
            el("th", { scope: "col", class: "num", title: "Average precision; its chance level is the churn rate" }, "PR-AUC"),
            el("th", { scope: "col", class: "num", title: "Churn rate of the tenth of scores that were highest" }, "Top decile churned"),
            el("th", { scope: "col", class: "num", title: "Top decile's churn rate over the churn rate of all" }, "Lift"))),
          el("tbody", {}, rows))),
      el("figure", { class: "panel calibration-panel" },
        el("figcaption", {},
          el("div", { class: "calibration-head" }, el("h4", {}, "Calibration by decile"), select),
          el("p", { class: "muted" }, "Each point is a tenth of the scores: the probability given against the share that churned, with its interval. On the dashed line the scores came true.")),
        chartBox)));
}

// ---------------------------------------------------------------- page

// Dashboard holds the page's state and draws it. The page's URL holds
// what is shown, filters, page and open account, so a link or a reload
// shows the same; opening an account adds a history entry, so Back
// closes it.
class Dashboard {
  constructor() {
    this.model = null;
    this.descriptions = new Map();
    // query counts ranking requests, so a slow answer to an old filter
    // never overwrites the answer to a newer one; opened does the same
    // for accounts.
    this.query = 0;
    this.opened = 0;
    this.lastRow = null;
    // offset is the first account of the page shown; nextOffset that of
    // the next page, null on the last.
    this.offset = 0;
    this.nextOffset = null;
    // view is "accounts", "week", "performance" or "maturity", as the
    // URL's view says; perfQuery counts performance requests as query
    // does rankings, and so do weekQuery and maturityQuery.
    this.view = "accounts";
    this.weekQuery = 0;
    this.perfQuery = 0;
    this.maturityQuery = 0;
    // maturityOn is set when the server places accounts on maturity
    // levels (churn serve --maturity): the column, the account's level
    // and the Maturity view are shown only then.
    this.maturityOn = false;
    // alertsOn is set when the server keeps alerts (a score history):
    // the Alerts view is offered only then; alertsQuery counts its
    // requests as the other views do.
    this.alertsOn = false;
    this.alertsQuery = 0;
    this.bind();
  }

  bind() {
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("token").value.trim();
      if (token) {
        sessionStorage.setItem(TOKEN_KEY, token);
        $("token").value = "";
        this.start();
      }
    });
    $("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      this.askToken("forgotten", "Token forgotten.");
    });
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    // New filters start again from the first page.
    $("filters").addEventListener("change", (e) => {
      // The CRM chosen for the export is no filter: only its link changes.
      if (e.target === $("crm")) {
        this.setCRMLink();
        return;
      }
      this.offset = 0;
      this.loadRanking();
    });
    // A plain link cannot carry the token: with one, the file is fetched
    // with it and handed to the browser to save.
    $("crm-export").addEventListener("click", (e) => {
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) {
        e.preventDefault();
        this.downloadCRM(e.currentTarget.getAttribute("href"), token);
      }
    });
    // Typing a number re-queries after a pause, not on every key.
    let timer = 0;
    $("renewal").addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.offset = 0;
        this.loadRanking();
      }, 400);
    });
    // A new page is read from its top.
    const turn = async (offset) => {
      this.offset = offset;
      await this.loadRanking();
      if ($("ranking").dataset.state === "ready") {
        $("ranking").scrollIntoView({ block: "start" });
      }
    };
    $("prev-page").addEventListener("click", () => turn(Math.max(0, this.offset - this.limit())));
    $("next-page").addEventListener("click", () => {
      if (this.nextOffset !== null) {
        turn(this.nextOffset);
      }
    });
    window.addEventListener("popstate", () => this.followURL());
    // The tabs are links, so they can be opened in a new tab too; a
    // plain click switches the view in place and adds a history entry.
    for (const tab of document.querySelectorAll(".views .tab")) {
      tab.addEventListener("click", (e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
          return;
        }
        e.preventDefault();
        if (tab.dataset.view !== this.view) {
          this.view = tab.dataset.view;
          history.pushState({ view: this.view }, "", this.pageURL(this.shownAccount()));
          this.showView();
        }
      });
    }
    $("alerts-week").addEventListener("change", () => this.loadAlerts($("alerts-week").value));
    $("detail-close").addEventListener("click", () => this.closeDetail());
    $("detail").addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.closeDetail();
      }
    });
    const body = $("ranking").tBodies[0];
    body.addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-account-id]");
      if (tr) {
        this.openAccount(tr.dataset.accountId, tr, true);
      }
    });
    body.addEventListener("keydown", (e) => {
      const tr = e.target.closest("tr[data-account-id]");
      if (!tr) {
        return;
      }
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.openAccount(tr.dataset.accountId, tr, true);
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        (e.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
      }
    });
  }

  // start loads the model and the ranking, and the account the URL
  // names, or asks for a token.
  async start() {
    const account = this.readURL();
    try {
      this.model = await api("v1/model");
    } catch (err) {
      this.fail(err);
      return;
    }
    this.descriptions = new Map((this.model.features || []).map((f) => [f.name, f.description]));
    try {
      await api("v1/maturity");
      this.maturityOn = true;
    } catch (err) {
      // A 404 is a server without maturity levels: nothing to show.
      if (!(err instanceof NotFoundError)) {
        this.fail(err);
        return;
      }
    }
    $("tab-maturity").hidden = !this.maturityOn;
    try {
      await api("v1/alerts?limit=1");
      this.alertsOn = true;
    } catch (err) {
      // A 404 is a server without a score history: no alerts to show.
      if (!(err instanceof NotFoundError)) {
        this.fail(err);
        return;
      }
    }
    $("tab-alerts").hidden = !this.alertsOn;
    $("col-maturity").hidden = !this.maturityOn;
    this.survivalSort();
    $("auth").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = !sessionStorage.getItem(TOKEN_KEY);
    this.showModel();
    this.showView();
    await this.loadRanking();
    if (account) {
      this.openAccount(account, this.rowOf(account), false);
    }
  }

  // survivalSort offers the sort by the chance of leaving before renewal
  // only for a model with survival curves: the server refuses it for
  // others.
  survivalSort() {
    const option = $("sort").querySelector('option[value="before_renewal"]');
    const has = Boolean(this.model.survival);
    option.hidden = !has;
    option.disabled = !has;
    if (!has && $("sort").value === "before_renewal") {
      $("sort").value = "probability";
    }
  }

  describe(feature) {
    return this.descriptions.get(feature) || feature.replaceAll("_", " ");
  }

  // askToken shows the token form; reason ("required", "rejected" or
  // "forgotten") is also set on it, for tests and styles.
  askToken(reason, message) {
    $("app").hidden = true;
    $("auth").hidden = false;
    $("auth").dataset.reason = reason;
    $("sign-out").hidden = true;
    $("auth-message").textContent = message;
    $("token").focus();
  }

  fail(err) {
    if (err instanceof AuthError) {
      if (err.hadToken) {
        sessionStorage.removeItem(TOKEN_KEY);
        this.askToken("rejected", `The server did not accept that token (${err.message}).`);
      } else {
        this.askToken("required", "");
      }
      return;
    }
    const box = $("error");
    box.replaceChildren(el("strong", {}, "Could not load the data. "), err.message);
    box.hidden = false;
    const table = $("ranking");
    table.dataset.state = "error";
    table.setAttribute("aria-busy", "false");
  }

  showModel() {
    const m = this.model;
    $("model").hidden = false;
    $("model-version").textContent = m.version;
    $("model-version").title = `${m.kind} model`;
    $("horizon").textContent = `${m.horizon_weeks} weeks`;
    const auc = m.valid_metrics && m.valid_metrics.roc_auc;
    $("auc").textContent = isNumber(auc) ? auc.toFixed(3) : DASH;
  }

  // readURL sets the form and the page from the page's URL, so a link to
  // a filtered view opens that view, and returns the account it names.
  readURL() {
    const q = new URLSearchParams(location.search);
    const set = (id, name, valid = () => true) => {
      const input = $(id);
      if (!q.has(name)) {
        input.value = input.tagName === "SELECT" ? input.querySelector("option[selected]")?.value ?? input.options[0].value : "";
        return;
      }
      const v = q.get(name);
      if (!valid(v)) {
        return;
      }
      if (input.tagName === "SELECT" && !Array.from(input.options).some((o) => o.value === v)) {
        input.append(el("option", { value: v }, v));
      }
      input.value = v;
    };
    const whole = (v) => /^\d+$/.test(v);
    set("segment", "segment");
    set("play-segment", "play_segment");
    set("renewal", "renewal_within_days");
    set("limit", "limit", (v) => whole(v) && Number(v) >= 1 && Number(v) <= MAX_LIMIT);
    set("sort", "sort", (v) => Array.from($("sort").options).some((o) => o.value === v));
    this.offset = whole(q.get("offset") || "") ? Number(q.get("offset")) : 0;
    this.view = ["performance", "week", "maturity", "alerts"].includes(q.get("view")) ? q.get("view") : "accounts";
    return q.get("account") || null;
  }

  limit() {
    return Number($("limit").value);
  }

  // params are the ranking's query: the filters and the page.
  params() {
    const q = new URLSearchParams();
    const segment = $("segment").value;
    const renewal = $("renewal").value.trim();
    if (segment) {
      q.set("segment", segment);
    }
    const playSegment = $("play-segment").value;
    if (playSegment) {
      q.set("play_segment", playSegment);
    }
    if (renewal !== "" && Number(renewal) > 0) {
      q.set("renewal_within_days", String(Math.floor(Number(renewal))));
    }
    q.set("limit", $("limit").value);
    q.set("sort", $("sort").value);
    if (this.offset > 0) {
      q.set("offset", String(this.offset));
    }
    return q;
  }

  // crmURL is the CRM import file's URL for the chosen CRM and the
  // ranking's filters and sort, not its page: the file holds every
  // account the filters keep, as churn score --format crm writes it.
  crmURL() {
    const q = this.params();
    q.delete("limit");
    q.delete("offset");
    return "v1/crm?" + new URLSearchParams([["crm", $("crm").value], ...q]);
  }

  // setCRMLink points the export link at the file of what is shown.
  setCRMLink() {
    $("crm-export").href = this.crmURL();
  }

  // downloadCRM fetches the file at path with the token and saves it
  // under the name the server gives it.
  async downloadCRM(path, token) {
    try {
      const resp = await fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
      if (!resp.ok) {
        let reason = `${resp.status} ${resp.statusText}`;
        try {
          reason = (await resp.json()).error || reason;
        } catch {
          // Not the API's error body: the status says enough.
        }
        throw resp.status === 401 ? new AuthError(reason, true) : new Error(reason);
      }
      const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "");
      const url = URL.createObjectURL(await resp.blob());
      const a = el("a", { href: url, download: name ? name[1] : "churn-crm.csv" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (err) {
      if (err instanceof AuthError) {
        this.fail(err);
        return;
      }
      const box = $("error");
      box.replaceChildren(el("strong", {}, "Could not download the CRM file. "), err.message);
      box.hidden = false;
    }
  }

  // pageURL is the URL of the page showing the ranking and, if given,
  // the account, in view.
  pageURL(account, view = this.view) {
    const q = this.params();
    if (account) {
      q.set("account", account);
    }
    if (view !== "accounts") {
      q.set("view", view);
    }
    return "?" + q;
  }

  // shownAccount is the account the URL names.
  shownAccount() {
    return new URLSearchParams(location.search).get("account");
  }

  // followURL shows what the URL says after Back or Forward: the
  // ranking's filters and page, and the account or none.
  async followURL() {
    const before = this.params().toString();
    const account = this.readURL();
    this.showView();
    if (!account) {
      this.hideDetail(false);
    }
    if (this.params().toString() !== before) {
      await this.loadRanking();
    }
    if (account && (account !== $("detail").dataset.accountId || $("detail").hidden)) {
      this.openAccount(account, this.rowOf(account), false);
    }
  }

  async loadRanking() {
    const q = this.params();
    const n = ++this.query;
    this.setCRMLink();
    const table = $("ranking");
    table.dataset.state = "loading";
    table.setAttribute("aria-busy", "true");
    let doc;
    try {
      doc = await api("v1/ranking?" + q);
    } catch (err) {
      if (n === this.query) {
        this.fail(err);
      }
      return;
    }
    if (n !== this.query) {
      return;
    }
    // A page past the end, after a reload of fewer accounts or from an
    // old link: show the last page instead.
    if (doc.accounts.length === 0 && doc.total > 0 && this.offset > 0) {
      this.offset = Math.floor((doc.total - 1) / this.limit()) * this.limit();
      return this.loadRanking();
    }
    $("error").hidden = true;
    history.replaceState(history.state, "", this.pageURL(this.shownAccount()));
    this.showRanking(doc, q);
  }

  showRanking(doc, q) {
    $("as-of").textContent = doc.as_of;
    $("model-version").textContent = doc.model_version;
    const h = doc.health;
    $("health-rule").replaceChildren(
      chip("red"), ` at ${percent(h.red)} or more · `,
      chip("yellow"), ` at ${percent(h.yellow)} or more · `,
      chip("green"), " below. ",
      el("span", { class: "muted" }, capitalize(h.rule) + "."),
      doc.play_segments && el("span", { class: "muted" },
        "Each account is coloured by its renewal segment's own cut-offs instead: its health chip's title gives them."));

    this.fillSegments(doc.segments, q.get("segment") || "");
    this.fillPlaySegments(doc.play_segments, q.get("play_segment") || "");

    const open = $("detail").hidden ? null : $("detail").dataset.accountId;
    const rows = doc.accounts.map((a, i) => el("tr", {
      tabindex: 0, "data-account-id": a.account_id, "data-health": a.health, "data-play-segment": a.play_segment,
      class: a.account_id === open && "selected", "aria-current": a.account_id === open ? "true" : null,
    },
    el("td", { class: "num muted" }, doc.offset + i + 1),
    el("td", { class: "account" }, a.account_id),
    el("td", { class: "num probability", "data-probability": String(a.churn_probability) },
      el("span", { class: "meter", "aria-hidden": "true" }, meter(a.churn_probability, a.health)),
      percent(a.churn_probability)),
    el("td", { class: "health-cell" }, healthChip(a), groupChips(a.groups),
      this.maturityOn && el("div", { class: "maturity-cell" }, levelChip(a.maturity_level, a.maturity_name))),
    el("td", { class: "segment" }, a.segment || DASH,
      a.play_segment && el("span", { class: "play-segment", title: "Renewal segment, from the segment file" }, `${a.play_segment} renewals`)),
    el("td", { class: "num" }, money(a.arr)),
    el("td", { class: "num strong" }, money(a.arr_at_risk)),
    el("td", {}, renewal(a)),
    el("td", { class: "num" }, change(a.change)),
    el("td", { class: "drivers-cell" }, drivers(a.drivers)),
    el("td", { class: "spark" }, sparkline(a.history, { health: a.health, weeks: SPARK_WEEKS }))));

    const table = $("ranking");
    table.tBodies[0].replaceChildren(...rows);
    table.dataset.segment = q.get("segment") || "";
    table.dataset.playSegment = q.get("play_segment") || "";
    table.dataset.count = String(doc.count);
    table.dataset.offset = String(doc.offset);
    $("col-probability").setAttribute("aria-sort", q.get("sort") === "probability" ? "descending" : "none");
    $("col-arr-at-risk").setAttribute("aria-sort", q.get("sort") === "arr_at_risk" ? "descending" : "none");
    $("empty").hidden = doc.total > 0;
    this.lastRow = open ? this.rowOf(open) : this.lastRow;

    // The summary is the book's, every account the filters keep, as the
    // API totals it; the page is only a slice of it.
    const t = doc.totals;
    const summary = $("summary");
    summary.replaceChildren(
      el("strong", {}, intFormat.format(t.accounts)), ` account${t.accounts === 1 ? "" : "s"} · `,
      el("span", { class: "text-red" }, `${intFormat.format(t.red)} red`), " · ",
      el("span", { class: "text-yellow" }, `${intFormat.format(t.yellow)} yellow`), " · ARR at risk ",
      el("strong", {}, money(t.arr_at_risk)));
    summary.title = t.unknown_arr > 0 ? `${intFormat.format(t.unknown_arr)} accounts without a known ARR are not in the ARR at risk` : "";
    Object.assign(summary.dataset, {
      accounts: String(t.accounts), red: String(t.red), yellow: String(t.yellow), green: String(t.green),
      arrAtRisk: String(t.arr_at_risk),
    });

    this.nextOffset = isNumber(doc.next_offset) ? doc.next_offset : null;
    $("pager").hidden = doc.offset === 0 && this.nextOffset === null;
    $("page-info").textContent = doc.count > 0
      ? `Accounts ${intFormat.format(doc.offset + 1)}–${intFormat.format(doc.offset + doc.count)} of ${intFormat.format(doc.total)}`
      : "";
    $("prev-page").disabled = doc.offset === 0;
    $("next-page").disabled = this.nextOffset === null;
    table.setAttribute("aria-busy", "false");
    table.dataset.state = "ready";
  }

  fillSegments(segments, current) {
    const select = $("segment");
    const want = ["", ...segments];
    if (!segments.includes(current) && current !== "") {
      want.push(current);
    }
    const have = Array.from(select.options).map((o) => o.value);
    if (have.join("\n") === want.join("\n")) {
      return;
    }
    select.replaceChildren(...want.map((s) => el("option", { value: s }, s === "" ? "All segments" : s)));
    select.value = current;
  }

  // fillPlaySegments offers the renewal segments, when the server has a
  // segment file; the filter is hidden without one.
  fillPlaySegments(segments, current) {
    $("play-segment-field").hidden = !segments;
    const select = $("play-segment");
    const want = ["", ...(segments || [])];
    if (current !== "" && !want.includes(current)) {
      want.push(current);
    }
    if (Array.from(select.options).map((o) => o.value).join("\n") === want.join("\n")) {
      return;
    }
    select.replaceChildren(...want.map((s) => el("option", { value: s }, s === "" ? "All renewal segments" : s)));
    select.value = current;
  }

  rowOf(id) {
    return $("ranking").querySelector(`tbody tr[data-account-id="${CSS.escape(id)}"]`);
  }

  // openAccount shows an account's drill-down. Opened by a person
  // (byUser), it puts the account in the URL: a new history entry when
  // none was open, so Back closes it, and the same entry when one was.
  async openAccount(id, row, byUser) {
    if (byUser) {
      const url = this.pageURL(id);
      if (this.shownAccount()) {
        history.replaceState(history.state, "", url);
      } else {
        history.pushState({ pushed: true, from: this.params().toString() }, "", url);
      }
    }
    const n = ++this.opened;
    const detail = $("detail");
    detail.dataset.state = "loading";
    detail.setAttribute("aria-busy", "true");
    for (const tr of $("ranking").tBodies[0].rows) {
      tr.classList.toggle("selected", tr === row);
      tr.setAttribute("aria-current", tr === row ? "true" : "false");
    }
    this.lastRow = row;
    let doc;
    try {
      const path = "v1/accounts/" + encodeURIComponent(id);
      const [account, survival] = await Promise.all([
        api(path), this.model && this.model.survival ? api(path + "/survival") : null]);
      doc = account;
      doc.survival = survival;
    } catch (err) {
      if (n === this.opened) {
        this.fail(err);
      }
      return;
    }
    if (n !== this.opened) {
      return;
    }
    try {
      this.showAccount(doc);
    } catch (err) {
      this.fail(err);
      return;
    }
    detail.hidden = false;
    detail.dataset.accountId = id;
    detail.dataset.state = "ready";
    detail.setAttribute("aria-busy", "false");
    detail.scrollIntoView({ block: "start" });
    detail.focus({ preventScroll: true });
  }

  // closeDetail closes the drill-down for a person: Back, when opening
  // it added the history entry, so that Forward opens it again; but not
  // when the filters or page changed since, which Back would undo too.
  closeDetail() {
    this.hideDetail(true);
    const st = history.state;
    if (st && st.pushed && st.from === this.params().toString()) {
      history.back();
    } else {
      history.replaceState(null, "", this.pageURL(null));
    }
  }

  // hideDetail hides the drill-down, and forgets an account still
  // loading; focus goes back to its row when refocus is set.
  hideDetail(refocus) {
    ++this.opened;
    const detail = $("detail");
    detail.hidden = true;
    delete detail.dataset.accountId;
    if (this.lastRow && this.lastRow.isConnected) {
      this.lastRow.classList.remove("selected");
      this.lastRow.setAttribute("aria-current", "false");
      if (refocus) {
        this.lastRow.focus();
      }
    }
  }

  showAccount(doc) {
    const a = doc.account;
    const s = doc.score;
    $("detail-title").replaceChildren(a.account_id, " ", chip(s.health));
    $("detail-subtitle").textContent =
      `Scored on the week of ${a.week} by model ${s.model_version}` + (a.segment ? ` · ${a.segment} segment` : "");

    const fact = (label, ...v) => el("div", {}, el("dt", {}, label), el("dd", {}, ...v));
    $("detail-facts").replaceChildren(
      fact("Churn probability", el("span", { class: "big" }, percent(s.churn_probability))),
      fact("Change since last week", change(a.change)),
      fact("ARR", money(a.arr)),
      fact("ARR at risk", money(a.arr_at_risk)),
      fact("Renewal", renewal(a)),
      ...(a.renewal_type ? [fact("Renewal type", renewalType(a.renewal_type))] : []),
      fact("Horizon", this.model ? `churn within ${this.model.horizon_weeks} weeks` : DASH));

    this.showAccountMaturity(a);

    const { chart, equation } = waterfall(s, (f) => this.describe(f));
    $("waterfall-box").replaceChildren(chart);
    $("equation").replaceChildren(...equation);

    const trend = sparkline(a.history, {
      width: 420, height: 190, pad: 8, health: s.health, thresholds: this.thresholds(),
    });
    $("history-box").replaceChildren(trend);
    $("history-gaps").hidden = !trend.dataset || !trend.dataset.missingWeeks;
    $("history-recorded").hidden = !trend.dataset || !(Number(trend.dataset.recordedWeeks) > 0);

    const sv = doc.survival;
    $("survival-panel").hidden = !sv;
    if (sv) {
      $("survival-box").replaceChildren(survivalCurve(sv));
      $("survival-facts").replaceChildren(
        fact("Leave before renewal", isNumber(sv.before_renewal) ? percent(sv.before_renewal) : DASH),
        fact("Expected weeks to churn", `${sv.expected_weeks_to_churn.toFixed(1)} of the next ${sv.curve.length - 1}`),
        fact(`Churn within ${sv.horizon_weeks} weeks`, percent(sv.churn_within_horizon)));
    }

    recentWeeks($("recent"), doc.recent_weeks || []);

    const features = Object.entries(s.contributions)
      .sort(([, x], [, y]) => Math.abs(y) - Math.abs(x));
    $("contributions").tBodies[0].replaceChildren(...features.map(([f, phi]) => el("tr", {},
      el("td", {}, el("span", { title: f }, this.describe(f))),
      el("td", { class: "num" }, value(doc.features ? doc.features[f] : null)),
      el("td", { class: ["num", phi > 0 ? "text-red" : phi < 0 ? "text-green" : "muted"] },
        (phi < 0 ? MINUS : "+") + Math.abs(phi).toFixed(4)))));
  }

  // showAccountMaturity shows an account's maturity level and the
  // indicators it lacks for the next, when the server places accounts.
  showAccountMaturity(a) {
    const box = $("detail-maturity");
    box.hidden = !this.maturityOn;
    if (!this.maturityOn) {
      box.replaceChildren();
      return;
    }
    const level = a.maturity_level;
    const lacks = a.maturity_lacks || [];
    box.dataset.level = isNumber(level) ? String(level) : "";
    box.dataset.lacks = String(lacks.length);
    const head = el("p", {}, el("strong", {}, "Maturity: "), levelChip(level, a.maturity_name));
    if (!isNumber(level)) {
      box.replaceChildren(head, el("p", { class: "muted" }, "Not placed: the snapshots have no week of it to judge."));
    } else if (lacks.length === 0) {
      box.replaceChildren(head, el("p", { class: "muted" }, "The top level: it meets every indicator of the ladder."));
    } else {
      box.replaceChildren(head,
        el("p", {}, `To reach level ${level + 1} (${LEVEL_NAMES[level + 1] || "next"}) it lacks:`),
        el("ul", { class: "lacks" }, lacks.map((l) => el("li", {
          "data-column": l.column, title: `${l.column} ${l.op} ${l.threshold}, ${l.percent}% of ${l.days} days`,
        }, l.description))));
    }
  }

  // showView shows the view this.view names, and reads the realized
  // outcomes afresh each time their view is shown: the server keeps them
  // until new scores are recorded, so this costs it little.
  showView() {
    const perf = this.view === "performance";
    const week = this.view === "week";
    const maturity = this.view === "maturity";
    const alerts = this.view === "alerts";
    $("accounts-view").hidden = perf || week || maturity || alerts;
    $("performance").hidden = !perf;
    $("week").hidden = !week;
    $("maturity").hidden = !maturity;
    $("alerts").hidden = !alerts;
    for (const tab of document.querySelectorAll(".views .tab")) {
      const current = tab.dataset.view === this.view;
      tab.setAttribute("aria-current", current ? "page" : "false");
      tab.setAttribute("href", this.pageURL(this.shownAccount(), tab.dataset.view));
    }
    if (perf) {
      this.loadPerformance();
    }
    if (week) {
      this.loadWeek();
    }
    if (maturity) {
      this.loadMaturity();
    }
    if (alerts) {
      this.loadAlerts($("alerts-week").value);
    }
  }

  // loadAlerts reads the alerts of week, the latest with alerts when
  // empty, afresh each time: every recording may raise new ones and
  // deliveries change their status.
  async loadAlerts(week) {
    const n = ++this.alertsQuery;
    const box = $("alerts");
    box.dataset.state = "loading";
    box.setAttribute("aria-busy", "true");
    const q = new URLSearchParams({ limit: String(MAX_LIMIT) });
    if (week) {
      q.set("week", week);
    }
    let doc;
    try {
      doc = await api("v1/alerts?" + q);
    } catch (err) {
      if (n !== this.alertsQuery) {
        return;
      }
      box.setAttribute("aria-busy", "false");
      // A link to the view on a server without a score history says so
      // in the view, as the maturity view does.
      if (err instanceof NotFoundError) {
        $("alerts-table").tBodies[0].replaceChildren();
        $("alerts-summary").textContent = "";
        $("alerts-empty").replaceChildren(el("strong", {}, "No alerts on this server: "), err.reason + ".");
        $("alerts-empty").hidden = false;
        box.dataset.state = "unavailable";
        return;
      }
      box.dataset.state = "error";
      this.fail(err);
      return;
    }
    if (n !== this.alertsQuery) {
      return;
    }
    $("error").hidden = true;
    this.showAlerts(doc);
    box.setAttribute("aria-busy", "false");
    box.dataset.state = "ready";
  }

  showAlerts(doc) {
    const select = $("alerts-week");
    select.replaceChildren(...doc.weeks.map((w) => el("option", { value: w }, w)));
    select.value = doc.week || "";
    $("alerts-week-field").hidden = doc.weeks.length === 0;
    $("alerts-summary").textContent = doc.week === null ? "" : `Week of ${doc.week}: ${intFormat.format(doc.total)} alerts` +
      (doc.total > doc.alerts.length ? ` (the first ${doc.alerts.length} shown)` : "") + ".";
    const causes = { turned_red: "Turned red", jumped: "Jumped", renewal_red: "Red near renewal" };
    const delivery = (a) => a.status === "pending" && a.attempts === 0 ? "pending"
      : `${a.status} after ${a.attempts} attempt${a.attempts === 1 ? "" : "s"}`;
    $("alerts-table").tBodies[0].replaceChildren(...doc.alerts.map((a) => el("tr", {
      "data-account": a.account_id, "data-cause": a.cause, "data-status": a.status,
      "data-probability": String(a.probability), "data-previous": String(a.previous_probability),
    },
      el("td", {}, el("a", { href: this.pageURL(a.account_id, "accounts") }, a.account_id)),
      el("td", { title: a.message }, causes[a.cause] || a.cause),
      el("td", { class: "num" }, percent(a.probability)),
      el("td", { class: "num muted" }, percent(a.previous_probability)),
      el("td", {}, chip(a.health), el("span", { class: "muted" }, ` was ${a.previous_health || "unknown"}`)),
      el("td", {}, a.renewal_date === null ? el("span", { class: "muted" }, DASH) : `${a.renewal_date} (${a.days_to_renewal} days)`),
      el("td", { class: a.status === "failed" ? "warn" : "muted", title: a.last_error || "" }, delivery(a)))));
    $("alerts-empty").replaceChildren("No alerts yet: they are raised once two weeks of scores are recorded.");
    $("alerts-empty").hidden = doc.alerts.length > 0;
  }

  // loadMaturity reads the maturity ladder and levels afresh: a reload
  // of the server places the accounts again.
  async loadMaturity() {
    const n = ++this.maturityQuery;
    const box = $("maturity");
    box.dataset.state = "loading";
    box.setAttribute("aria-busy", "true");
    let doc;
    try {
      doc = await api("v1/maturity");
    } catch (err) {
      if (n !== this.maturityQuery) {
        return;
      }
      box.setAttribute("aria-busy", "false");
      // A link to the view on a server without levels says so in the
      // view, as the performance view does without a score history.
      if (err instanceof NotFoundError) {
        $("maturity-intro").textContent = "";
        $("maturity-facts").replaceChildren();
        $("maturity-body").hidden = true;
        $("maturity-empty").replaceChildren(el("strong", {}, "No maturity levels on this server: "), err.reason + ".");
        $("maturity-empty").hidden = false;
        box.dataset.state = "unavailable";
        return;
      }
      box.dataset.state = "error";
      this.fail(err);
      return;
    }
    if (n !== this.maturityQuery) {
      return;
    }
    $("error").hidden = true;
    this.showMaturity(doc);
    box.setAttribute("aria-busy", "false");
    box.dataset.state = "ready";
  }

  showMaturity(doc) {
    const fact = (label, ...v) => el("div", {}, el("dt", {}, label), el("dd", {}, ...v));
    $("maturity-empty").hidden = true;
    $("maturity-body").hidden = false;
    $("maturity-intro").textContent = "Four levels of customer maturity built from the leading indicators of retention: " +
      "1 onboarding, 2 functional use, 3 strategic use, 4 optimisation. " +
      (doc.learned ? "The steps are learned from the snapshots: the three strongest significant indicators of different columns, most common first."
        : `The steps are configured in ${doc.source}.`);
    $("maturity-facts").replaceChildren(
      fact("Ladder", doc.learned ? "learned" : el("span", { title: doc.source }, "configured")),
      fact("Placed at the week of", doc.week),
      fact("Accounts placed", el("span", { id: "maturity-accounts", "data-accounts": String(doc.accounts) }, intFormat.format(doc.accounts))),
      fact("Horizon", `churn within ${weeksWord(doc.horizon_weeks)}`));
    $("maturity-ladder").replaceChildren(...doc.steps.map((st) => el("li", { "data-to-level": String(st.to_level) },
      el("p", {}, el("strong", {}, `To level ${st.to_level}, ${st.name}`),
        isNumber(st.share) && st.share > 0 ? el("span", { class: "muted" }, ` · met on its own by ${percent(st.share)} of account-weeks`) : null),
      el("ul", {}, st.indicators.map((ind) => el("li", { "data-column": ind.column }, ind.description))))));
    $("maturity-table-intro").textContent = `Churn within ${weeksWord(doc.horizon_weeks)} of the account-weeks at each level, ` +
      `with its ${percent(doc.confidence, 0)} confidence interval; accounts now are the ranked accounts at each level this week.`;
    const rate = (v) => percent(v);
    $("maturity-levels").tBodies[0].replaceChildren(...doc.levels.map((lv) => el("tr", {
      "data-level": String(lv.level), "data-rows": String(lv.rows), "data-churned": String(lv.churned),
      "data-accounts": String(lv.accounts),
    },
      el("td", {}, levelChip(lv.level, lv.name)),
      el("td", { class: "num" }, lv.rows > 0 ? interval(lv.churn_rate, "churn", rate) : el("span", { class: "muted", title: "No account-week at this level" }, DASH)),
      el("td", { class: "num" }, intFormat.format(lv.rows)),
      el("td", { class: "num" }, intFormat.format(lv.churned)),
      el("td", { class: "num strong" }, intFormat.format(lv.accounts)))));
  }

  // loadWeek reads the week's renewal plays, the touchpoints due first
  // in nothing but ARR at risk: the server orders them.
  async loadWeek() {
    const n = ++this.weekQuery;
    const box = $("week");
    box.dataset.state = "loading";
    box.setAttribute("aria-busy", "true");
    let doc;
    try {
      doc = await api(`v1/plays?limit=${MAX_LIMIT}`);
    } catch (err) {
      if (n === this.weekQuery) {
        box.setAttribute("aria-busy", "false");
        box.dataset.state = "error";
        this.fail(err);
      }
      return;
    }
    if (n !== this.weekQuery) {
      return;
    }
    $("error").hidden = true;
    const tp = (t) => `${t.days_before} days before: ${t.date}`;
    const due = doc.plays.filter((p) => p.due.length > 0).length;
    $("week-summary").textContent = `Week of ${doc.week}: ${intFormat.format(doc.total)} accounts in their renewal window, ` +
      `${intFormat.format(due)} with a touchpoint due` + (doc.total > doc.plays.length ? ` (the first ${doc.plays.length} shown)` : "") + ".";
    $("plays").tBodies[0].replaceChildren(...doc.plays.map((p) => el("tr", {
      "data-account": p.account_id, "data-due": String(p.due.length),
    },
      el("td", {}, el("a", { href: this.pageURL(p.account_id, "accounts") }, p.account_id)),
      el("td", {}, p.segment),
      el("td", { class: "renewal-type" }, renewalType(p.renewal_type)),
      el("td", {}, p.renewal_date),
      el("td", { class: "num" }, String(p.days_to_renewal)),
      el("td", { class: "num" }, percent(p.churn_probability)),
      el("td", {}, chip(p.health)),
      el("td", { class: "num", "data-value": String(p.arr_at_risk) }, money(p.arr_at_risk)),
      el("td", { class: p.due.length > 0 ? "due" : "muted" }, p.due.length > 0 ? p.due.map(tp).join("; ") : "none"),
      el("td", { class: "muted" }, p.next ? tp(p.next) : "none"))));
    $("week-empty").hidden = doc.plays.length > 0;
    box.setAttribute("aria-busy", "false");
    box.dataset.state = "ready";
  }

  async loadPerformance() {
    const n = ++this.perfQuery;
    const box = $("performance");
    box.dataset.state = "loading";
    box.setAttribute("aria-busy", "true");
    let rep;
    try {
      rep = await api("v1/model/performance");
    } catch (err) {
      if (n !== this.perfQuery) {
        return;
      }
      box.setAttribute("aria-busy", "false");
      // A server without a score history, or serving a customer
      // table's model, has no realized outcomes: that is a state of the
      // server, said in the panel, not a failure.
      if (err instanceof NotFoundError) {
        $("perf-facts").replaceChildren();
        $("perf-versions").replaceChildren();
        $("perf-empty").replaceChildren(el("strong", {}, "No realized outcomes on this server: "), err.reason + ".");
        $("perf-empty").hidden = false;
        box.dataset.state = "unavailable";
        return;
      }
      box.dataset.state = "error";
      this.fail(err);
      return;
    }
    if (n !== this.perfQuery) {
      return;
    }
    $("error").hidden = true;
    this.showPerformance(rep);
    box.setAttribute("aria-busy", "false");
    box.dataset.state = rep.performance.length > 0 ? "ready" : "empty";
  }

  showPerformance(rep) {
    const fact = (label, ...v) => el("div", {}, el("dt", {}, label), el("dd", {}, ...v));
    const matured = rep.matured_weeks || [];
    const immature = rep.immature_weeks || [];
    const rows = rep.performance.filter((g) => g.segment === "").reduce((sum, g) => sum + g.rows, 0);
    $("perf-facts").replaceChildren(
      fact("Horizon", `churn within ${weeksWord(rep.horizon_weeks)}`),
      fact("Snapshots as of", rep.as_of),
      fact("Matured weeks", matured.length === 0 ? "none yet"
        : `${weeksWord(matured.length)}, ${matured[0]}${matured.length > 1 ? " to " + matured[matured.length - 1] : ""}`),
      fact("Awaiting outcomes", immature.length === 0 ? "none" : weeksWord(immature.length)),
      fact("Account-weeks checked", el("span", { id: "perf-rows", "data-rows": String(rows) }, intFormat.format(rows))),
      fact("Left out", el("span", {
        title: "Censored: the account left the snapshots before its outcome was known. Unknown: the snapshots do not hold the account.",
      }, `${intFormat.format(rep.censored)} censored · ${intFormat.format(rep.unknown_accounts)} unknown`)));
    $("perf-intro").textContent = `The scores recorded each week, checked against who churned in the ${weeksWord(rep.horizon_weeks)} ` +
      `that followed, once they have passed: realized, not validation, figures. Intervals are ${percent(rep.confidence, 0)} confidence intervals.`;

    const empty = rep.performance.length === 0;
    $("perf-empty").hidden = !empty;
    $("perf-empty").replaceChildren(...(empty ? perfEmpty(rep) : []));

    const versions = new Map();
    for (const g of rep.performance) {
      if (!versions.has(g.model_version)) {
        versions.set(g.model_version, []);
      }
      versions.get(g.model_version).push(g);
    }
    const serving = this.model && this.model.version;
    const valid = this.model && this.model.valid_metrics && this.model.valid_metrics.roc_auc;
    $("perf-versions").replaceChildren(...Array.from(versions.values(), (groups) =>
      perfVersion(groups, groups[0].model_version === serving, valid)));
  }

  thresholds() {
    const h = this.model && this.model.health;
    return h && isNumber(h.red) ? { red: h.red, yellow: h.yellow } : null;
  }
}

// recentMetrics are the rows of the recent-weeks table: the raw weekly
// columns of the snapshot, and whether any value above zero is a warning.
const recentMetrics = [
  ["logins", "Logins", false],
  ["frequency", "Key actions", false],
  ["recency_days", "Days since last key action", false],
  ["sla_breaches", "SLA breaches", true],
  ["overdue_invoices", "Overdue invoices", true],
];

// recentWeeks fills the table of raw weeks with one column per calendar
// week, oldest first, so it reads left to right like the sparklines. A
// week the snapshots skip gets a column that says so, rather than its
// neighbours standing side by side as if they were a week apart.
function recentWeeks(table, weeks) {
  const slots = weekSlots(weeks);
  table.tHead.rows[0].replaceChildren(el("th", { scope: "col" }, "Week of"),
    ...slots.map((w) => el("th", {
      scope: "col", class: ["num", w.missing && "missing"], "data-week": w.week,
      title: w.missing ? `No snapshot for the week of ${w.week}` : w.week,
    }, w.week.slice(5))));
  if (slots.length === 0) {
    table.tBodies[0].replaceChildren(el("tr", {}, el("td", { class: "muted" }, "No recent weeks.")));
    return;
  }
  table.tBodies[0].replaceChildren(...recentMetrics.map(([key, label, warn], row) => el("tr", {},
    el("th", { scope: "row" }, label),
    ...slots.map((w) => {
      if (!w.missing) {
        return el("td", { class: ["num", warn && w[key] > 0 && "warn"] }, w[key]);
      }
      // One cell down the whole column says it once.
      return row === 0 ? el("td", { class: "missing", rowspan: recentMetrics.length }, "no snapshot") : null;
    }))));
}

// meter is a small bar of the probability, in the health colour.
function meter(p, health) {
  const fill = el("span", { class: ["fill", "bg-" + (health || "none")] });
  fill.style.width = `${Math.max(2, Math.min(100, 100 * (isNumber(p) ? p : 0))).toFixed(1)}%`;
  return fill;
}

new Dashboard().start();
