// A receipt's page: its goods, fiscal receipt, refunds and history, and the actions the chat's
// card offers (Check status, Cancel, Resend SMS, Register / Retry fiscal, Refund), each through
// the API, which goes through the chat's services.
import { newKey } from "./api.js";
import { el, show } from "./dom.js";

function section(title, ...children) {
  return [el("h2", { text: title }), ...children];
}

export async function receiptScreen(ctx, id) {
  const page = await ctx.api.get(`receipts/${id}`);
  return render(ctx, page);
}

function goodsTable(tr, lines) {
  return el("table", { id: "goods" },
    el("tr", {}, el("th", { text: tr("goods") }), el("th", { class: "num", text: tr("quantity") }),
      el("th", { class: "num", text: tr("price") }), el("th", { class: "num", text: tr("sum") })),
    lines.map((l) => el("tr", { "data-position": l.position },
      el("td", {}, l.name, l.returned_text
        ? el("div", { class: "hint", text: `${tr("returned")}: ${l.returned_text}` }) : null),
      el("td", { class: "num", text: l.quantity_text }),
      el("td", { class: "num", text: l.price.text }),
      el("td", { class: "num", text: l.sum.text }))));
}

function render(ctx, r) {
  const { tr } = ctx;
  const box = el("div", { id: "receipt", "data-id": r.id });
  const error = el("div");
  const area = el("div");

  async function act(path, body) {
    show(error);
    try {
      return await ctx.api.post(`receipts/${r.id}/${path}`, body);
    } catch (e) {
      show(error, ctx.failed(e));
      return null;
    }
  }
  const redraw = (fresh) => show(box.parentElement || box, render(ctx, fresh));
  // an action answered with {receipt, message}: said, and the page as it is now
  function once(path) {
    let busy = false;
    return async () => {
      if (busy) return;
      busy = true;
      const done = await act(path);
      busy = false;
      if (done) { ctx.say(done.message); redraw(done.receipt); }
    };
  }

  const buttons = [];
  if (r.actions.check) {
    buttons.push(el("button", { class: "action secondary", id: "check", text: tr("check"),
      onclick: async () => { const f = await act("check"); if (f) redraw(f); } }));
  }
  if (r.actions.sms) {
    buttons.push(el("button", { class: "action secondary", id: "sms", text: tr("resendSms"), onclick: once("sms") }));
  }
  if (r.actions.cancel) {
    buttons.push(el("button", { class: "action secondary", id: "cancel", text: tr("cancel"),
      onclick: () => show(area, el("div", { class: "confirm" },
        el("p", { text: tr("cancelConfirm") }),
        el("button", { class: "action danger", id: "cancel-yes", text: tr("confirm"),
          onclick: async () => { const f = await act("cancel"); if (f) redraw(f); } }),
        el("button", { class: "action secondary", text: tr("no"), onclick: () => show(area) }))) }));
  }
  if (r.actions.register) {
    buttons.push(el("button", { class: "action secondary", id: "register", text: r.actions.register,
      onclick: once("register") }));
  }
  if (r.actions.refund) {
    buttons.push(el("button", { class: "action", id: "refund", text: tr("refund"),
      onclick: () => refundForm() }));
  }

  function refundForm() {
    const parts = [];
    if (r.actions.refund_goods) {
      parts.push(el("p", { text: tr("refundGoods") }),
        r.lines.filter((l) => l.left > 0).map((l) => goodsChoice(l)));
    }
    if (r.actions.refund_amount) {
      const amount = el("input", { id: "refund-amount", inputmode: "decimal", placeholder: r.refundable.text });
      parts.push(el("label", { for: "refund-amount", text: tr("refundAmount") }), amount,
        el("button", { class: "action", id: "refund-next", text: tr("next"), onclick: async () => {
          const preview = await act("refund/preview", { amount: amount.value });
          if (preview) confirmRefund(preview);
        } }));
    }
    show(area, el("div", { class: "confirm" }, parts));
  }

  function goodsChoice(line) {
    const quantity = el("input", { class: "refund-quantity", inputmode: "decimal", placeholder: line.left_text,
      "aria-label": `${line.name}: ${tr("quantity")}` });
    return el("div", { class: "goods-choice", "data-position": line.position },
      el("div", { text: `${line.position}. ${line.name} · ${tr("notReturned")}: ${line.left_text}` }),
      quantity,
      el("button", { class: "action", text: tr("next"), onclick: async () => {
        const preview = await act("refund/preview", { position: line.position, quantity: quantity.value });
        if (preview) confirmRefund(preview);
      } }));
  }

  function confirmRefund(preview) {
    const key = newKey(); // one key for this confirmation: a double tap is the same refund
    const body = { amount: preview.amount.kopecks, key, refunded_before: preview.refunded_before };
    if (preview.position) Object.assign(body, { position: preview.position, quantity: preview.quantity });
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
    r.lines.length ? section(tr("goods"), goodsTable(tr, r.lines)) : null,
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
