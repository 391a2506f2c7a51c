// The catalogue: search, add (the owner), edit a field, archive or bring back.
import { el, show } from "./dom.js";

const FIELDS = ["name", "price", "unit"];

export async function catalogueScreen(ctx) {
  const { api, tr } = ctx;
  const list = el("div", { id: "catalogue-list" });
  const error = el("div");
  const q = el("input", { type: "search", placeholder: tr("search").split(":")[0], id: "catalogue-search" });
  let page = 0;
  let owner = false;

  function itemRow(item) {
    const row = el("div", { class: "row", "data-id": item.id },
      el("div", {}, el("div", { text: item.name }),
        el("div", { class: "meta", text: `${item.code} · ${item.unit_text}${item.archived ? " · " + tr("archived") : ""}` })),
      el("div", { class: "amount", text: item.price_text }));
    row.addEventListener("click", () => { if (owner) editForm(item, row); });
    return row;
  }

  function editForm(item, row) {
    const inputs = Object.fromEntries(FIELDS.map((f) => [f, el("input", {
      value: f === "price" ? (item.price === null ? "" : (item.price / 100).toFixed(2)) : item[f] ?? "",
      "aria-label": tr(f) })]));
    const form = el("div", { class: "confirm" },
      FIELDS.map((f) => [el("label", { text: tr(f) }), inputs[f]]),
      el("button", { class: "action", text: tr("save"), onclick: async () => {
        try {
          let fresh = item;
          for (const f of FIELDS) {
            const before = f === "price" ? (item.price === null ? "" : (item.price / 100).toFixed(2)) : item[f] ?? "";
            if (inputs[f].value !== before) {
              fresh = await api.post(`catalogue/${item.id}`, { field: f, value: inputs[f].value });
            }
          }
          form.replaceWith(itemRow(fresh));
        } catch (e) { show(error, ctx.failed(e)); }
      } }),
      el("button", { class: "action secondary", text: item.archived ? tr("restore") : tr("archive"), onclick: async () => {
        try {
          const fresh = await api.post(`catalogue/${item.id}`, { archived: !item.archived });
          form.replaceWith(itemRow(fresh));
        } catch (e) { show(error, ctx.failed(e)); }
      } }));
    row.after(form);
  }

  async function load(fresh) {
    show(error);
    if (fresh) page = 0;
    try {
      const found = await api.get("catalogue", { q: q.value.trim(), page: String(page) });
      if (fresh) show(list);
      owner = found.owner;
      add.hidden = !owner;
      importer.hidden = !owner;
      list.append(...found.items.map(itemRow));
      more.hidden = !found.more;
    } catch (e) { show(error, ctx.failed(e)); }
  }
  const more = el("button", { class: "action secondary", hidden: true, text: tr("more"),
    onclick: () => { page += 1; load(false); } });
  const name = el("input", { placeholder: tr("name"), id: "new-name" });
  const price = el("input", { placeholder: tr("price"), inputmode: "decimal", id: "new-price" });
  const add = el("div", { class: "filters", hidden: true }, name, price,
    el("button", { class: "action", text: tr("add"), onclick: async () => {
      try {
        const item = await api.post("catalogue", { name: name.value, price: price.value });
        name.value = ""; price.value = "";
        list.prepend(itemRow(item));
      } catch (e) { show(error, ctx.failed(e)); }
    } }));
  const importer = importForm(ctx);
  importer.hidden = true;
  let timer;
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(true), 300); });
  await load(true);
  return [q, add, importer, error, list, more];
}

// Import a CSV file (the owner): the file's preview (what is new, what changes, the refused
// lines), then Confirm writes all of it or nothing; the server keeps nothing in between, so
// Confirm sends the file again with the preview's token and digest.
function importForm(ctx) {
  const { api, tr } = ctx;
  const input = el("input", { type: "file", accept: ".csv,text/csv,text/plain", id: "import-file",
    "aria-label": tr("importCsv") });
  const area = el("div");
  const box = el("details", { class: "import" }, el("summary", { text: tr("importCsv") }),
    el("p", { class: "hint", text: tr("importHint") }), input, area);
  input.addEventListener("change", async () => {
    show(area);
    const chosen = input.files && input.files[0];
    if (!chosen) return;
    const bytes = new Uint8Array(await chosen.arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const file = btoa(text);
    try {
      const preview = await api.post("catalogue/import/preview", { file });
      let busy = false;
      show(area, el("div", { class: "confirm", id: "import-preview" },
        el("p", { class: "pre", text: preview.text }),
        preview.applicable ? el("button", { class: "action", id: "import-yes", text: tr("confirm"), onclick: async () => {
          if (busy) return;
          busy = true;
          try {
            const done = await api.post("catalogue/import", { file, token: preview.token, digest: preview.digest });
            ctx.say(done.message);
            ctx.open("catalogue");
          } catch (e) { show(area, ctx.failed(e)); }
          busy = false;
        } }) : null,
        el("button", { class: "action secondary", text: tr("no"), onclick: () => { input.value = ""; show(area); } })));
    } catch (e) { show(area, ctx.failed(e)); }
  });
  return box;
}
