// The receipts' registry (search, filters, page by page) and a receipt's page with its actions.
import { newKey } from "./api.js";
import { el, show } from "./dom.js";

const STATUSES = ["awaiting", "paid", "expired", "cancelled", "refunded", "failed"];
const CHANNELS = ["email", "privat24", "sms", "link"];

function receiptRow(ctx, r) {
  return el("div", { class: "row receipt", "data-id": r.id, onclick: () => ctx.open("receipt", r.id) },
    el("div", {},
      el("div", { text: `№${r.number} · ${r.description}` }),
      el("div", { class: "meta", text: `${r.created_text} · ${r.status_text}${r.contact ? " · " + r.contact : ""}` })),
    el("div", { class: "amount", text: r.amount.text }));
}

export async function receiptsScreen(ctx) {
  const { api, tr } = ctx;
  const list = el("div", { id: "receipt-list" });
  const error = el("div");
  const q = el("input", { type: "search", id: "search", placeholder: tr("search"), enterkeyhint: "search" });
  const status = el("select", { id: "status" }, el("option", { value: "", text: tr("allStatuses") }),
    STATUSES.map((s) => el("option", { value: s, text: tr(`st_${s}`) })));
  const channel = el("select", { id: "channel" }, el("option", { value: "", text: tr("allChannels") }),
    CHANNELS.map((c) => el("option", { value: c, text: tr(`ch_${c}`) })));
  const from = el("input", { type: "date", id: "from" });
  const to = el("input", { type: "date", id: "to" });
  const more = el("button", { class: "action secondary", hidden: true, text: tr("more") });
  let next = null;

  async function load(fresh) {
    show(error);
    const params = { q: q.value.trim(), status: status.value, channel: channel.value,
      from: from.value, to: to.value, before: fresh ? "" : next };
    try {
      const page = await api.get("receipts", params);
      if (fresh) show(list);
      list.append(...page.items.map((r) => receiptRow(ctx, r)));
      if (fresh && page.items.length === 0) list.append(el("p", { class: "hint", text: tr("none") }));
      next = page.next;
      more.hidden = !next;
    } catch (e) {
      show(error, ctx.failed(e));
    }
    list.dataset.loaded = String(Date.now());
  }
  let timer;
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 300); });
  for (const input of [status, channel, from, to]) input.addEventListener("change", () => load(true));
  more.addEventListener("click", () => load(false));
  await load(true);
  return [el("div", { class: "filters" }, q, status, channel, from, to), error, list, more];
}

function section(title, ...children) {
  return [el("h2", { text: title }), ...children];
}

export async function receiptScreen(ctx, id) {
  const { api } = ctx;
  const page = await api.get(`receipts/${id}`);
  return render(ctx, page);
}

function render(ctx, r) {
  const { api, tr } = ctx;
  const box = el("div", { id: "receipt", "data-id": r.id });
  const error = el("div");
  const area = el("div");

  async function act(path, body) {
    show(error);
    try {
      const fresh = await api.post(`receipts/${r.id}/${path}`, body);
      return fresh;
    } catch (e) {
      show(error, ctx.failed(e));
      return null;
    }
  }
  const redraw = (fresh) => show(box.parentElement || box, render(ctx, fresh));

  const buttons = [];
  if (r.actions.check) {
    buttons.push(el("button", { class: "action secondary", id: "check", text: tr("check"),
      onclick: async () => { const f = await act("check"); if (f) redraw(f); } }));
  }
  if (r.actions.cancel) {
    buttons.push(el("button", { class: "action secondary", id: "cancel", text: tr("cancel"),
      onclick: () => show(area, el("div", { class: "confirm" },
        el("p", { text: tr("cancelConfirm") }),
        el("button", { class: "action danger", id: "cancel-yes", text: tr("confirm"),
          onclick: async () => { const f = await act("cancel"); if (f) redraw(f); } }),
        el("button", { class: "action secondary", text: tr("no"), onclick: () => show(area) }))) }));
  }
  if (r.actions.refund) {
    buttons.push(el("button", { class: "action", id: "refund", text: tr("refund"),
      onclick: () => refundForm() }));
  }

  function refundForm() {
    const amount = el("input", { id: "refund-amount", inputmode: "decimal", placeholder: r.refundable.text });
    show(area, el("div", { class: "confirm" },
      el("label", { for: "refund-amount", text: tr("refundAmount") }), amount,
      el("button", { class: "action", id: "refund-next", text: tr("next"), onclick: async () => {
        const preview = await act("refund/preview", { amount: amount.value });
        if (preview) confirmRefund(preview);
      } })));
  }

  function confirmRefund(preview) {
    const key = newKey(); // one key for this confirmation: a double tap is the same refund
    const body = { amount: preview.amount.kopecks, key, refunded_before: preview.refunded_before };
    let busy = false;
    show(area, el("div", { class: "confirm", id: "refund-confirm" },
      el("p", { text: preview.confirm_text }),
      el("button", { class: "action danger", id: "refund-yes", text: tr("confirm"), onclick: async () => {
        if (busy) return;
        busy = true;
        const done = await act("refund", body);
        busy = false;
        if (done) { ctx.say(done.message); redraw(done.receipt); }
      } }),
      el("button", { class: "action secondary", text: tr("no"), onclick: () => show(area) })));
  }

  show(box,
    el("button", { class: "action secondary", text: tr("back"), onclick: () => ctx.open("receipts") }),
    el("h1", { text: `№${r.number} · ${r.amount.text}` }),
    el("p", { text: r.description }),
    el("p", { class: "hint", id: "receipt-status", text: r.status_text }),
    el("table", {},
      el("tr", {}, el("td", { text: tr("created") }), el("td", { text: r.created_text })),
      el("tr", {}, el("td", { text: tr("channel") }), el("td", { text: r.channel_text })),
      r.contact ? el("tr", {}, el("td", { text: tr("contact") }), el("td", { text: r.contact })) : null,
      r.refunded.kopecks ? el("tr", {}, el("td", { text: tr("refunded") }),
        el("td", { id: "refunded", text: r.refunded.text })) : null),
    r.fiscal_text ? section(tr("fiscal"), el("p", {}, r.fiscal_text,
      r.fiscal_url ? " · " : null,
      r.fiscal_url ? el("a", { href: r.fiscal_url, target: "_blank", rel: "noopener noreferrer", text: tr("open") }) : null),
      r.fiscal_error ? el("p", { class: "error", text: r.fiscal_error }) : null) : null,
    el("div", {}, buttons), error, area,
    r.refunds.length ? section(tr("refunds"), el("ul", { class: "timeline", id: "refunds" },
      r.refunds.map((f) => el("li", { text: `${f.at_text} · ${f.amount.text} · ${f.state_text}` })))) : null,
    section(tr("timeline"), el("ul", { class: "timeline" },
      r.events.map((e) => el("li", { text: `${e.at_text} · ${e.text}` })))));
  return box;
}
