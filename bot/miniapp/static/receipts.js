// The receipts' registry (search, filters, page by page); a receipt's page is receipt.js.
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

export { receiptScreen } from "./receipt.js";
