// The Retail Advisor page: reads exports/index.json, then each export it lists, and draws them.
// Every number shown comes from an export as published; the cells carry data-* attributes naming what
// they show, so a test (and a curious user) can check them against the JSON.
"use strict";

const COLORS = ["#2f6f9f", "#e07b39", "#3a9d5d", "#8e5ea2", "#c0504d", "#6b8e23"];

function cell(row, value, attrs = {}, text = false) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "–" : String(value);
  if (text) td.className = "text";
  for (const [key, v] of Object.entries(attrs)) td.dataset[key] = v;
  row.appendChild(td);
}

function tbody(section) {
  return document.querySelector(`#${section} tbody`);
}

function barChart(id, labels, datasets) {
  return new Chart(document.getElementById(id), {
    type: "bar",
    data: { labels, datasets: datasets.map((d, i) => ({ ...d, backgroundColor: COLORS[i % COLORS.length] })) },
    options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
  });
}

function drawStores(doc) {
  const days = [...new Set(doc.stores.flatMap((s) => s.days.map((d) => d.date)))].sort();
  const body = tbody("stores");
  for (const store of doc.stores) {
    for (const day of store.days) {
      const tr = body.insertRow();
      cell(tr, store.store_id, {}, true);
      cell(tr, day.date, {}, true);
      for (const m of ["interactions", "transcripts", "words", "avg_confidence", "active_hours"]) {
        cell(tr, day[m], { metric: m, store: store.store_id, date: day.date });
      }
    }
  }
  return barChart("stores-chart", days, doc.stores.map((s) => ({
    label: s.store_id,
    data: days.map((d) => (s.days.find((x) => x.date === d) || { interactions: 0 }).interactions),
  })));
}

function drawBrands(doc) {
  const body = tbody("brands");
  for (const r of doc.rows) {
    const tr = body.insertRow();
    cell(tr, r.store_id, {}, true);
    cell(tr, r.metric_date, {}, true);
    cell(tr, r.brand, {}, true);
    for (const m of ["mentions", "questions", "avg_sentiment", "share_of_mentions"]) {
      cell(tr, m === "share_of_mentions" ? `${(r[m] * 100).toFixed(1)}%` : r[m],
           { metric: m, store: r.store_id, date: r.metric_date, brand: r.brand, value: r[m] });
    }
  }
  const brands = [...new Set(doc.rows.map((r) => r.brand))].sort();
  const stores = [...new Set(doc.rows.map((r) => r.store_id))].sort();
  return barChart("brands-chart", brands, stores.map((store) => ({
    label: store,
    data: brands.map((b) => doc.rows.filter((r) => r.store_id === store && r.brand === b)
      .reduce((n, r) => n + r.mentions, 0)),
  })));
}

function drawDevices(doc) {
  const body = tbody("devices");
  for (const r of doc.rows) {
    const tr = body.insertRow();
    cell(tr, r.device_id, {}, true);
    cell(tr, r.store_id, {}, true);
    cell(tr, r.metric_date, {}, true);
    const key = { device: r.device_id, date: r.metric_date };
    cell(tr, r.heartbeats, { ...key, metric: "heartbeats" });
    cell(tr, r.max_uptime_s === null ? null : (r.max_uptime_s / 3600).toFixed(1), { ...key, metric: "max_uptime_h" });
    cell(tr, r.offline_s === null ? null : Math.round(r.offline_s / 60), { ...key, metric: "offline_min" });
    cell(tr, r.max_spool_depth, { ...key, metric: "max_spool_depth" });
    cell(tr, r.events, { ...key, metric: "events" });
    cell(tr, r.avg_transcript_confidence, { ...key, metric: "avg_transcript_confidence" });
  }
}

function drawSessions(doc) {
  const byStore = new Map();
  for (const r of doc.rows) {
    const s = byStore.get(r.store_id) || { sessions: 0, duration: 0, greetedAsked: 0, brands: new Set() };
    s.sessions += 1;
    s.duration += r.duration_s;
    s.greetedAsked += r.greeted_and_asked ? 1 : 0;
    r.brands_asked.forEach((b) => s.brands.add(b));
    byStore.set(r.store_id, s);
  }
  const stores = [...byStore.keys()].sort();
  const body = tbody("sessions");
  for (const store of stores) {
    const s = byStore.get(store);
    const tr = body.insertRow();
    cell(tr, store, {}, true);
    cell(tr, s.sessions, { metric: "sessions", store });
    cell(tr, Math.round(s.duration / s.sessions), { metric: "avg_duration_s", store });
    cell(tr, s.greetedAsked, { metric: "greeted_and_asked", store });
    cell(tr, [...s.brands].sort().join(", "), { metric: "brands_asked", store }, true);
  }
  return barChart("sessions-chart", stores, [
    { label: "sessions", data: stores.map((s) => byStore.get(s).sessions) },
    { label: "greeted + asked", data: stores.map((s) => byStore.get(s).greetedAsked) },
  ]);
}

function lines(row, r) {
  // One list item per line said; its clip (audio_url) as a link, or "no clip" (the device keeps no audio,
  // or AudioURL is deprecated).
  const td = document.createElement("td");
  td.className = "text";
  const list = document.createElement("ol");
  for (const line of r.transcript_lines) {
    const item = document.createElement("li");
    item.dataset.transcript = line.transcript_id;
    item.textContent = `${line.text} `;
    if (line.audio_url) {
      const link = document.createElement("a");
      link.href = line.audio_url;
      link.textContent = "clip";
      link.dataset.audio = line.transcript_id;
      item.appendChild(link);
    } else {
      const none = document.createElement("span");
      none.className = "muted";
      none.textContent = "no clip";
      item.appendChild(none);
    }
    list.appendChild(item);
  }
  td.appendChild(list);
  row.appendChild(td);
}

// A store or device RetailAdvisorDB does not know yet: its interactions are shown, with its id.
function unregistered(id) {
  return `${id} (unregistered)`;
}

function drawInteractions(doc) {
  const body = tbody("interactions");
  for (const r of doc.rows) {
    const tr = body.insertRow();
    const key = { interaction: r.interaction_id };
    cell(tr, r.started_at_utc.replace("T", " ").replace("Z", ""), {}, true);
    cell(tr, r.store_registered ? r.store_name || r.store_id : unregistered(r.store_id), { ...key, metric: "store" }, true);
    cell(tr, r.device_registered ? r.device_location || r.device_id : unregistered(r.device_id), { ...key, metric: "device" }, true);
    cell(tr, r.zone_id, { ...key, metric: "zone" }, true);
    cell(tr, r.duration_s, { ...key, metric: "duration_s" });
    cell(tr, r.avg_sentiment, { ...key, metric: "avg_sentiment" });
    cell(tr, r.brands.join(", "), { ...key, metric: "brands" }, true);
    lines(tr, r);
  }
}

const DRAW = {
  store_daily_metrics: drawStores,
  brand_performance_metrics: drawBrands,
  device_performance_metrics: drawDevices,
  customer_session_metrics: drawSessions,
  sales_interactions_enriched: drawInteractions,
};

async function fetchJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function main() {
  const index = await fetchJson("exports/index.json");
  const charts = [];
  for (const entry of index.exports) {
    const draw = DRAW[entry.name];
    if (!draw) continue;  // an export this page does not show yet
    const doc = await fetchJson(`exports/${entry.file}`);
    const chart = draw(doc);
    if (chart) charts.push(chart);
  }
  document.getElementById("built").textContent =
    `Exports built ${index.generated_at} · ${index.exports.map((e) => `${e.name} v${e.version}`).join(", ")}`;
  window.scoutDashboard = { ready: true, charts: charts.length };
}

main().catch((error) => {
  const box = document.getElementById("error");
  box.textContent = `The dashboard could not load its exports: ${error.message}`;
  box.hidden = false;
  window.scoutDashboard = { ready: false, error: error.message };
});
