// The shop in one screen: tabs, and the Today and Settings screens (the others in their files).
import { makeApi } from "./api.js";
import { el, show } from "./dom.js";
import { pickLanguage, translator } from "./i18n.js";
import { receiptsScreen, receiptScreen } from "./receipts.js";
import { reportsScreen } from "./reports.js";
import { catalogueScreen } from "./catalogue.js";

const tg = window.Telegram?.WebApp;
const initData = tg?.initData || "";
const tr = translator(pickLanguage(tg?.initDataUnsafe?.user?.language_code));
document.documentElement.lang = tr.lang;
const api = makeApi(initData);
const screen = document.getElementById("screen");
const toast = document.getElementById("toast");

export function say(text) {
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { toast.hidden = true; }, 4000);
}

function failed(error) {
  if (error.status === 401 || error.status === 403) {
    return el("p", { class: "error", text: error.message || tr("denied") });
  }
  return el("p", { class: "error", text: error.message || String(error) });
}

const ctx = { api, tr, say, failed, open: (tab, arg) => open(tab, arg) };

function stat(label, value, small) {
  return el("div", { class: "card" },
    el("div", { class: "small", text: label }),
    el("div", { class: "big", text: value }),
    small ? el("div", { class: "small", text: small }) : null);
}

async function todayScreen() {
  const d = await api.get("today");
  const row = (r, note) => el("div", {
    class: "row", onclick: () => open("receipt", r.id), "data-id": r.id,
  },
  el("div", {}, el("div", { text: `№${r.number} · ${r.description}` }),
    el("div", { class: "meta", text: note })),
  el("div", { class: "amount", text: r.amount.text }));
  const rows = [
    ...d.attention.map((r) => row(r, r.fiscal_text || r.status_text)),
    ...d.refunding.map((r) => row(r, tr("refundUnderWay"))),
  ];
  return [
    el("h1", { text: `${d.shop} · ${d.day_text}` }),
    el("div", { class: "cards", id: "today-cards" },
      stat(tr("paid"), d.paid.text, `${tr.n("receiptsN", d.paid.count)} · ${tr("yesterday")}: ${d.paid_yesterday.text}`),
      stat(tr("awaiting"), d.awaiting.text, tr.n("receiptsN", d.awaiting.count)),
      stat(tr("expired"), String(d.expired.count), tr.n("receiptsN", d.expired.count))),
    d.role === "owner" ? el("h2", { text: tr("attention") }) : null,
    d.role === "owner" && rows.length === 0 ? el("p", { class: "hint", text: tr("nothingNeeded") }) : null,
    ...rows,
  ];
}

function yesNo(value) { return value ? tr("on") : tr("off"); }

async function settingsScreen() {
  const s = await api.get("settings");
  const line = (label, value) => el("tr", {}, el("td", { text: label }), el("td", { class: "num", text: value }));
  return [
    el("h1", { text: s.shop }),
    el("h2", { text: tr("keys") }),
    el("table", {},
      line(tr("publicKey"), s.liqpay.public_key || tr("notSet")),
      line(tr("privateKey"), s.liqpay.private_key_set ? tr("set") : tr("notSet")),
      line("SMS", s.sms.set ? tr("set") : tr("notSet"))),
    el("h2", { text: tr("fiscalization") }),
    el("table", {},
      line(tr("fiscalization"), s.fiscal.configured ? yesNo(s.fiscal.enabled) : tr("notSet")),
      s.fiscal.key_valid_until ? line(tr("keyValid"), s.fiscal.key_valid_until) : null),
    el("h2", { text: tr("reminders") }),
    el("table", {},
      line(tr("reminders"), yesNo(s.reminders.cashier || s.reminders.customer)),
      line(tr("digest"), s.reminders.digest ? s.reminders.digest_at : tr("off"))),
    el("p", { class: "hint", text: s.how_to_change }),
  ];
}

const SCREENS = {
  today: todayScreen,
  receipts: () => receiptsScreen(ctx),
  receipt: (id) => receiptScreen(ctx, id),
  reports: () => reportsScreen(ctx),
  catalogue: () => catalogueScreen(ctx),
  settings: settingsScreen,
};

async function open(tab, arg) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  show(screen, el("p", { class: "hint", text: tr("loading") }));
  screen.dataset.screen = tab;
  try {
    show(screen, await SCREENS[tab](arg));
  } catch (error) {
    show(screen, failed(error));
  }
  screen.dataset.ready = tab;
}

for (const button of document.querySelectorAll("#tabs button")) {
  button.textContent = tr(button.dataset.tab);
  button.addEventListener("click", () => open(button.dataset.tab));
}
tg?.ready();
tg?.expand();
open("today");
