// The page's own words, Ukrainian first, English when Telegram says the reader speaks it.
// Every text about the shop's data comes from the API already in the reader's language.
const TEXTS = {
  uk: {
    today: "Сьогодні", receipts: "Чеки", reports: "Звіти", catalogue: "Каталог",
    settings: "Налаштування", paid: "Оплачено", awaiting: "Очікує оплати",
    expired: "Прострочено", refunded: "Повернено", yesterday: "Учора",
    attention: "Потребує уваги", refundUnderWay: "Повернення в процесі", nothingNeeded: "Нічого не потребує уваги.",
allStatuses: "Усі статуси",
    allChannels: "Усі канали", more: "Ще", none: "Нічого не знайдено.", back: "← Назад",
    check: "Перевірити статус", cancel: "Скасувати рахунок", refund: "Повернути кошти",
    refundAmount: "Сума повернення (порожньо — усе, що лишилося)", next: "Далі",
    confirm: "Підтвердити", no: "Ні", timeline: "Історія", refunds: "Повернення",
    fiscal: "Фіскальний чек", open: "Відкрити", contact: "Контакт", channel: "Канал",
    created: "Створено", period_today: "Сьогодні", period_yesterday: "Учора",
    period_this_week: "Цей тиждень", period_this_month: "Цей місяць",
    period_last_month: "Минулий місяць", byCashier: "За касирами", byChannel: "За каналами", byItem: "Найпродаваніші товари",
    net: "Чистими", add: "Додати", name: "Назва", price: "Ціна", unit: "Одиниця",
    save: "Зберегти", archive: "В архів", restore: "Повернути з архіву", archived: "в архіві",
    keys: "Ключі LiqPay", publicKey: "Публічний ключ", privateKey: "Приватний ключ",
    set: "задано", notSet: "не задано", on: "увімкнено", off: "вимкнено",
    fiscalization: "Фіскалізація", reminders: "Нагадування", digest: "Підсумок дня",
    keyValid: "Ключ касира дійсний до", loading: "Завантаження…",
    denied: "Немає доступу. Відкрийте магазин з чату бота.", cancelConfirm: "Скасувати цей рахунок?",
    st_awaiting: "Очікує", st_paid: "Оплачено", st_expired: "Прострочено",
    st_cancelled: "Скасовано", st_refunded: "Повернено", st_failed: "Не оплачено",
    ch_email: "E-mail", ch_privat24: "Приват24", ch_sms: "SMS", ch_link: "Посилання / QR",
    importCsv: "Імпорт з CSV",
    importHint: "Файл CSV (UTF-8 або Windows-1251, через ; або ,): перший рядок — назви колонок code;name;price;unit;tax;barcode;uktzed. Спершу буде показано, що зміниться.",
    exportTitle: "Вивантаження в чат", export: "Чеки", exportGoods: "Товари",
    goods: "Товари", quantity: "Кількість", sum: "Сума", returned: "Повернено",
    notReturned: "не повернено", resendSms: "Надіслати SMS ще раз",
    refundGoods: "Що повертається? Вкажіть кількість (порожньо — усе, що лишилося) і натисніть «Далі».",
    search: "Пошук: номер, сума, e-mail, телефон, опис, товар",
    itemsN: { one: "{n} товар", few: "{n} товари", many: "{n} товарів", other: "{n} товару" },
    receiptsN: { one: "{n} чек", few: "{n} чеки", many: "{n} чеків", other: "{n} чека" },
  },
  en: {
    today: "Today", receipts: "Receipts", reports: "Reports", catalogue: "Catalogue",
    settings: "Settings", paid: "Paid", awaiting: "Awaiting payment", expired: "Expired",
    refunded: "Refunded", yesterday: "Yesterday", attention: "Needs attention", refundUnderWay: "Refund under way",
    nothingNeeded: "Nothing needs attention.",
allStatuses: "All statuses",
    allChannels: "All channels", more: "More", none: "Nothing found.", back: "← Back",
    check: "Check status", cancel: "Cancel invoice", refund: "Refund",
    refundAmount: "Amount to refund (empty: all that is left)", next: "Next",
    confirm: "Confirm", no: "No", timeline: "History", refunds: "Refunds",
    fiscal: "Fiscal receipt", open: "Open", contact: "Contact", channel: "Channel",
    created: "Created", period_today: "Today", period_yesterday: "Yesterday",
    period_this_week: "This week", period_this_month: "This month",
    period_last_month: "Last month", byCashier: "By cashier", byChannel: "By channel", byItem: "Top items",
    net: "Net", add: "Add", name: "Name", price: "Price", unit: "Unit", save: "Save",
    archive: "Archive", restore: "Bring back", archived: "archived", keys: "LiqPay keys",
    publicKey: "Public key", privateKey: "Private key", set: "set", notSet: "not set",
    on: "on", off: "off", fiscalization: "Fiscalization", reminders: "Reminders",
    digest: "Daily digest", keyValid: "Cashier's key valid until", loading: "Loading…",
    denied: "No access. Open the shop from the bot's chat.", cancelConfirm: "Cancel this invoice?",
    st_awaiting: "Awaiting", st_paid: "Paid", st_expired: "Expired",
    st_cancelled: "Cancelled", st_refunded: "Refunded", st_failed: "Failed",
    ch_email: "E-mail", ch_privat24: "Privat24", ch_sms: "SMS", ch_link: "Link / QR",
    importCsv: "Import from CSV",
    importHint: "A CSV file (UTF-8 or Windows-1251, separated by ; or ,): the first row names the columns code;name;price;unit;tax;barcode;uktzed. You see what changes first.",
    exportTitle: "Export to the chat", export: "Receipts", exportGoods: "Goods",
    goods: "Goods", quantity: "Quantity", sum: "Sum", returned: "Returned",
    notReturned: "not returned", resendSms: "Resend SMS",
    refundGoods: "What comes back? Type a quantity (empty: all that is left) and tap Next.",
    search: "Search: number, amount, e-mail, phone, description, goods",
    itemsN: { one: "{n} item", other: "{n} items" },
    receiptsN: { one: "{n} receipt", other: "{n} receipts" },
  },
};

export function pickLanguage(code) {
  return code && code.toLowerCase().startsWith("en") ? "en" : "uk";
}

export function translator(lang) {
  const words = TEXTS[lang];
  const plural = new Intl.PluralRules(lang);
  const tr = (key) => words[key] ?? key;
  tr.n = (key, n) => {
    const forms = words[key];
    return (forms[plural.select(n)] ?? forms.other).replace("{n}", String(n));
  };
  tr.lang = lang;
  return tr;
}
