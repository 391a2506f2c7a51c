// A period's report: totals, per cashier and channel, and the paid takings per day drawn as
// plain SVG bars (no library).
import { newKey } from "./api.js";
import { el, show, svg } from "./dom.js";

const PERIODS = ["today", "yesterday", "this_week", "this_month", "last_month"];

function chart(days) {
  const width = 320;
  const height = 150;
  const max = Math.max(1, ...days.map((d) => d.kopecks));
  const step = width / Math.max(days.length, 1);
  const bars = days.map((d, i) => {
    const h = Math.round((d.kopecks / max) * (height - 20));
    const bar = svg("rect", { x: i * step + 1, y: height - 14 - h, width: Math.max(step - 2, 1), height: h });
    bar.append(svg("title", {}, `${d.day}: ${d.text}`));
    return bar;
  });
  const labels = days.length <= 12
    ? days.map((d, i) => svg("text", { x: i * step + 2, y: height - 2 }, d.day.slice(8)))
    : [svg("text", { x: 0, y: height - 2 }, days[0].day.slice(5)),
       svg("text", { x: width - 30, y: height - 2 }, days[days.length - 1].day.slice(5))];
  return svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", id: "chart" }, ...bars, ...labels);
}

function table(ctx, title, rows, name) {
  const { tr } = ctx;
  if (!rows.length) return null;
  return [el("h2", { text: title }), el("table", {},
    el("tr", {}, el("th", { text: "" }), el("th", { class: "num", text: tr("paid") }),
      el("th", { class: "num", text: tr("refunded") })),
    rows.map((r) => el("tr", {}, el("td", { text: name(r) }),
      el("td", { class: "num", text: `${r.paid.text} (${r.paid.count})` }),
      el("td", { class: "num", text: r.refunded.text }))))];
}

// The period's most sold catalogue items: quantity and sum (an amount-only line is not one).
function itemsTable(ctx, rows) {
  const { tr } = ctx;
  if (!rows.length) return null;
  return [el("h2", { text: tr("byItem") }), el("table", { id: "by-item" },
    rows.map((r) => el("tr", {}, el("td", { text: r.name }),
      el("td", { class: "num", text: r.quantity_text }),
      el("td", { class: "num", text: r.text }))))];
}

// The chat's /export file, sent to the chat by the bot; each tap its own key (a double tap or
// a retried request sends one file), the button busy until answered.
function exportButtons(ctx, period, note) {
  const { tr } = ctx;
  const kinds = [["csv", false], ["xlsx", false], ["csv", true], ["xlsx", true]];
  return el("div", { class: "export" }, kinds.map(([format, goods]) => {
    const button = el("button", { class: "action secondary", id: `export-${format}${goods ? "-goods" : ""}`,
      text: `${goods ? tr("exportGoods") : tr("export")} ${format.toUpperCase()}` });
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      button.disabled = true;
      show(note);
      try {
        const done = await ctx.api.post("reports/export", { period: period(), format, goods, key: newKey() });
        show(note, el("p", { class: "hint", id: "export-note", text: done.message }));
      } catch (e) {
        show(note, ctx.failed(e));
      }
      button.disabled = false;
    });
    return button;
  }));
}

export async function reportsScreen(ctx) {
  const { api, tr } = ctx;
  const body = el("div", { id: "report" });
  const select = el("select", { id: "period" }, PERIODS.map((p) => el("option", { value: p, text: tr(`period_${p}`) })));
  select.value = "this_month";
  async function load() {
    try {
      const r = await api.get("reports", { period: select.value });
      const t = r.totals;
      show(body,
        el("h1", { text: r.period_text }),
        el("div", { class: "cards" },
          el("div", { class: "card" }, el("div", { class: "small", text: tr("paid") }),
            el("div", { class: "big", text: t.paid.text }), el("div", { class: "small", text: tr.n("receiptsN", t.paid.count) })),
          el("div", { class: "card" }, el("div", { class: "small", text: tr("net") }),
            el("div", { class: "big", text: t.net.text }), el("div", { class: "small", text: `${tr("refunded")}: ${t.refunded.text}` }))),
        chart(r.days),
        table(ctx, tr("byCashier"), r.by_cashier, (x) => x.name),
        table(ctx, tr("byChannel"), r.by_channel, (x) => tr(`ch_${x.channel}`)),
        itemsTable(ctx, r.by_item));
    } catch (e) {
      show(body, ctx.failed(e));
    }
  }
  select.addEventListener("change", load);
  await load();
  const note = el("div");
  return [select, body, el("h2", { text: tr("exportTitle") }), exportButtons(ctx, () => select.value, note), note];
}
