// Packets studio: the page's behaviour, in plain JavaScript (no build step, no library).
// The form is drawn from the field list the server makes from the organization model;
// every check and every preview is the server's (the same functions as `packets check`).
// Text from files is only ever set with textContent or .value, never parsed as HTML.
"use strict";

(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // The studio's pages live under a secret path (its cookie goes nowhere else): every
  // address the server gives ("/api/...", "/orgs/...") is taken under it.
  const root = document.querySelector('meta[name="studio-root"]').content;
  const at = (url) => (url.startsWith("/") && !url.startsWith(root + "/") ? root + url : url);

  async function call(url, options = {}) {
    const headers = { "X-CSRF-Token": csrf, ...(options.headers || {}) };
    let body = options.body;
    if (body !== undefined && !(body instanceof Blob)) {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(at(url), {
      method: options.method || (body === undefined ? "GET" : "POST"),
      headers,
      body,
      credentials: "same-origin",
    });
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = {};
    }
    return { ok: response.ok, status: response.status, data };
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  // A name given in each language ({en: ..., fr: ...}) is shown as both, English first.
  const shownName = (name) =>
    name && typeof name === "object" && !Array.isArray(name) ? Object.values(name).filter(Boolean).join(" / ") : name;

  function problemItem(problem) {
    const label = problem.severity === "error" ? "Error: " : "Warning: ";
    return el(
      "li",
      { class: problem.severity },
      el("strong", { text: label }),
      problem.message,
      problem.hint ? el("span", { class: "hint-text", text: ` (${problem.hint})` }) : null
    );
  }

  // ------------------------------------------------------------------ new organization

  function setUpNewForm(form) {
    const box = document.getElementById("new-problems");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      box.replaceChildren();
      const values = Object.fromEntries(new FormData(form).entries());
      const { ok, data } = await call("/api/orgs", { body: values });
      if (ok) {
        window.location.assign(at(data.url));
        return;
      }
      box.append(el("ul", {}, problemItem({ severity: "error", message: data.error || "The file was not created." })));
      const field = data.field && form.elements[data.field];
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
    });
  }

  // ------------------------------------------------------------------ the edit form

  let uid = 0;
  const nextId = () => `f${++uid}`;
  const isEmpty = (v) =>
    v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);

  function problemsBox(path) {
    return el("ul", { class: "problems field-problems", "data-problems-for": path, id: nextId(), "aria-live": "polite" });
  }

  // A value of another shape than the model's (a list where one text is expected, `yes` for a
  // checkbox): the form does not pretend to edit it, and saving keeps it as the file has it.
  const KEEP = Symbol("keep");

  function fits(field, value) {
    if (value === null || value === undefined) return true;
    switch (field.kind) {
      case "list":
        return Array.isArray(value) && value.every((v) => v !== null && fits(field.item, v));
      case "object":
        return typeof value === "object" && !Array.isArray(value) && field.fields.every((f) => fits(f, value[f.key]));
      case "choice":
        return field.options.some((o) => fits(o, value));
      case "boolean":
        return typeof value === "boolean";
      case "checkboxes":
        return Array.isArray(value) && value.every((v) => typeof v === "string");
      case "integer":
        return typeof value === "number" || typeof value === "string";
      case "edition":
        return true; // its own control reads the two keys it stands for
      case "languages":
        return (
          typeof value === "string" ||
          (typeof value === "object" && !Array.isArray(value) &&
            Object.entries(value).every(([k, v]) => field.languages.includes(k) && typeof v === "string"))
        );
      default:
        return typeof value === "string";
    }
  }

  function keptControl(field, value, path, onChange) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    const problems = problemsBox(path);
    let replaced = null;
    const node = el(
      "div",
      { class: "field kind-kept" },
      el("p", { class: "kept-label" }, el("strong", { text: field.label })),
      el("p", { class: "hint" }, "The file gives a value of another kind than this field takes, so the form leaves it as it is: ", el("code", { text: shown })),
      problems
    );
    const button = el("button", { type: "button", class: "add", text: "Replace it using the form" });
    button.addEventListener("click", () => {
      const start = ["text", "prose", "date", "integer", "select"].includes(field.kind) && typeof value !== "object" ? String(value) : undefined;
      replaced = control(field, start, path, onChange);
      node.replaceWith(replaced.node);
      const first = replaced.node.querySelector("input, textarea, select, button");
      if (first) first.focus();
      onChange();
    });
    node.insertBefore(button, problems);
    return { node, get: () => (replaced ? replaced.get() : KEEP) };
  }

  // Each control returns { node, get }: `get()` reads its current value from the page.
  function control(field, value, path, onChange) {
    if (!fits(field, value)) return keptControl(field, value, path, onChange);
    switch (field.kind) {
      case "list":
        return listControl(field, Array.isArray(value) ? value : [], path, onChange);
      case "object":
        return objectControl(field, value && typeof value === "object" ? value : {}, path, onChange);
      case "choice":
        return choiceControl(field, value, path, onChange);
      case "boolean":
        return booleanControl(field, value, path);
      case "checkboxes":
        return checkboxesControl(field, Array.isArray(value) ? value : [], path);
      case "edition":
        return editionControl(field, value || {}, path, onChange);
      case "languages":
        return languagesControl(field, value, path, onChange);
      default:
        return inputControl(field, value, path);
    }
  }

  // ---- the documents' language, and each text in each language

  // Which editions the form's language choice makes now ("en", "fr" or "both"): the side-by-side
  // texts show their French beside their English only for "both".
  let editionNow = "en";
  const editionListeners = [];

  const editionOf = (value) => {
    const many = Array.isArray(value.languages) ? value.languages : null;
    if (many && many.includes("en") && many.includes("fr")) return "both";
    if (many && many.length === 1) return many[0];
    return value.language || "en";
  };

  // One select for the file's `language:` and `languages:` keys. Saving writes what was chosen;
  // unchanged, it writes back exactly what the file had.
  function editionControl(field, value, path, onChange) {
    const id = nextId();
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const input = el("select", { id, "data-path": path });
    for (const [choice, label] of field.choices) input.append(el("option", { value: choice, text: label }));
    const original = editionOf(value);
    input.value = original;
    editionNow = original;
    input.addEventListener("change", () => {
      editionNow = input.value;
      for (const listener of editionListeners) listener();
      onChange();
    });
    described(input, hint, problems);
    const node = el("div", { class: "field kind-edition" }, el("label", { for: id, text: field.label }), hint, input, problems);
    return {
      node,
      spread: true,
      get: () => {
        if (input.value === original) {
          const kept = {};
          if (value.language !== undefined && value.language !== null) kept.language = value.language;
          if (value.languages !== undefined && value.languages !== null) kept.languages = value.languages;
          return kept;
        }
        if (input.value === "both") return { languages: ["en", "fr"] };
        return input.value === "en" ? {} : { language: input.value };
      },
    };
  }

  // A text of the organization: one box for every edition, or, when the documents are in both
  // languages (or the file already gives both), its English and its French side by side.
  function languagesControl(field, value, path, onChange) {
    const given = typeof value === "object" && value !== null ? value : null;
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const boxes = {};
    const cells = field.languages.map((language) => {
      const id = nextId();
      const text = given ? given[language] : language === field.languages[0] ? value : undefined;
      const box = inputControl({ kind: field.text_kind, label: "", required: false }, text ?? null, path);
      const input = box.input;
      input.id = id;
      input.setAttribute("lang", language);
      // The first language's box answers to the field's own path; the other's to `path.fr`.
      if (language !== field.languages[0]) input.setAttribute("data-path", `${path}.${language}`);
      if (field.required && language === field.languages[0]) input.setAttribute("aria-required", "true");
      described(input, hint, problems);
      const label = el("label", { for: id });
      boxes[language] = { input, label, get: box.get };
      return el("div", { class: "language-cell", "data-language": language }, label, input);
    });
    const row = el("div", { class: "side-by-side" }, ...cells);
    const title = el("p", { class: "field-title", "aria-hidden": "true" }, el("strong", { text: field.label + (field.required ? " (required)" : "") }));
    const node = el("div", { class: "field kind-languages" }, title, hint, row, problems);
    const [first, second] = field.languages;
    function layout() {
      // A French already in the file stays in view whatever the choice, so nothing is hidden and lost.
      const both = editionNow === "both" || (given !== null && Object.keys(given).some((k) => k !== first));
      cells[1].hidden = !both;
      row.classList.toggle("two", both);
      // One box: its own label carries the field's name, above the box as any field's label is, and the
      // title (for two boxes) steps aside; a label only screen readers get counts as hidden to axe.
      title.hidden = !both;
      if (hint) {
        if (both) node.insertBefore(hint, row);
        else cells[0].insertBefore(hint, boxes[first].input); // label, hint, box: as every other field
      }
      boxes[first].label.textContent = both ? `${field.label}: ${field.language_labels[first]}` : field.label;
      if (!both && field.required) boxes[first].label.textContent += " (required)";
      boxes[second].label.textContent = `${field.label}: ${field.language_labels[second]}`;
    }
    editionListeners.push(layout);
    layout();
    return {
      node,
      get: () => {
        const one = boxes[first].get();
        const other = cells[1].hidden ? null : boxes[second].get();
        if (given && one === (given[first] ?? null) && other === (given[second] ?? null)) return given;
        if (other && other !== one) return one ? { [first]: one, [second]: other } : { [second]: other };
        return one;
      },
    };
  }

  function described(input, hint, problems) {
    input.setAttribute("aria-describedby", [hint && hint.id, problems.id].filter(Boolean).join(" "));
  }

  function inputControl(field, value, path) {
    const id = nextId();
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    let input;
    const shown = value === null || value === undefined ? "" : String(value);
    if (field.kind === "select") {
      input = el("select", { id, "data-path": path });
      if (!field.required && !field.noEmpty) input.append(el("option", { value: "", text: "(not set)" }));
      else if (!shown && field.choice_labels) input.append(el("option", { value: "", text: "Choose…" }));
      // The curriculum's parts are offered by their titles; the file keeps their ids.
      const labels = field.choice_labels || {};
      for (const choice of field.choices) input.append(el("option", { value: choice, text: labels[choice] || choice }));
      if (shown && !field.choices.map(String).includes(shown)) {
        // What the file says stays what it says (and is reported beside the field) until it is changed.
        input.append(el("option", { value: shown, text: `${shown} (not one of the choices)` }));
      }
      input.value = shown || (field.default !== undefined && field.default !== null ? String(field.default) : "");
    } else if (field.kind === "prose") {
      input = el("textarea", { id, rows: 7, "data-path": path, lang: "" });
      input.value = shown;
    } else if (field.kind === "sentence") {
      // A sentence or two on one line of the file, shown whole over a few lines; Enter adds no line break.
      input = el("textarea", { id, rows: 3, class: "sentence", "data-path": path });
      input.value = shown;
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault();
      });
    } else {
      input = el("input", {
        id,
        type: "text",
        "data-path": path,
        inputmode: field.kind === "integer" ? "numeric" : null,
        placeholder: field.kind === "date" ? "YYYY-MM-DD" : null,
        spellcheck: field.kind === "date" || field.kind === "integer" ? "false" : null,
      });
      input.value = shown;
      if (field.suggestions) input.setAttribute("list", nextId());
    }
    if (field.required) input.setAttribute("aria-required", "true");
    described(input, hint, problems);
    const label = el("label", { for: id, text: field.label + (field.required ? " (required)" : "") });
    const node = el("div", { class: `field kind-${field.kind}` }, label, hint, input, problems);
    if (field.suggestions && input.getAttribute("list")) {
      const list = el("datalist", { id: input.getAttribute("list") });
      for (const s of field.suggestions) list.append(el("option", { value: s }));
      node.append(list);
    }
    return {
      node,
      input,
      get: () => {
        let v = input.value;
        if (field.kind === "integer" && /^\s*\d+\s*$/.test(v)) return parseInt(v, 10);
        if (field.kind === "sentence") v = v.replace(/\s*\n\s*/g, " "); // pasted line breaks: still one line
        return v.trim() === "" ? null : v;
      },
    };
  }

  function booleanControl(field, value, path) {
    const id = nextId();
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const input = el("input", { id, type: "checkbox", "data-path": path });
    input.checked = value === undefined || value === null ? Boolean(field.default) : Boolean(value);
    described(input, hint, problems);
    const node = el("div", { class: "field kind-boolean" }, el("div", { class: "inline" }, input, el("label", { for: id, text: field.label })), hint, problems);
    return { node, get: () => input.checked };
  }

  // A list of the curriculum's parts (modules to emphasize, what a facilitator leads): a checkbox
  // for each, by its title. What the file already lists keeps its order; newly ticked ones follow,
  // in the curriculum's order; a value the curriculum does not know stays ticked, as the file has it.
  function checkboxesControl(field, values, path) {
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const labels = field.choice_labels || {};
    const unknown = values.filter((v) => !field.choices.includes(v));
    const boxes = [...field.choices, ...unknown].map((choice) => {
      const id = nextId();
      const input = el("input", { type: "checkbox", id, value: choice, "data-path": path });
      input.checked = values.includes(choice);
      const text = labels[choice] || `${choice} (not in the curriculum)`;
      return { choice, input, node: el("span", { class: "inline check" }, input, el("label", { for: id, text })) };
    });
    const node = el(
      "fieldset",
      { class: "field kind-checkboxes", "aria-describedby": [hint && hint.id, problems.id].filter(Boolean).join(" ") },
      el("legend", { text: field.label }),
      hint,
      el("div", { class: "checks" }, ...boxes.map((b) => b.node)),
      problems
    );
    return {
      node,
      get: () => {
        const ticked = boxes.filter((b) => b.input.checked).map((b) => b.choice);
        return [...values.filter((v) => ticked.includes(v)), ...ticked.filter((v) => !values.includes(v))];
      },
    };
  }

  function objectControl(field, value, path, onChange) {
    const parts = field.fields.map((f) => ({ key: f.key, ...control(f, value[f.key], `${path}.${f.key}`, onChange) }));
    const node = el("div", { class: "item-fields" }, ...parts.map((p) => p.node));
    return {
      node,
      get: () => {
        const out = {};
        for (const p of parts) {
          const v = p.get();
          if (!isEmpty(v)) out[p.key] = v;
        }
        return out;
      },
    };
  }

  function choiceControl(field, value, path, onChange) {
    const name = nextId();
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const chosen = field.options.findIndex((o) => (o.kind === "list") === Array.isArray(value));
    const current = chosen >= 0 ? chosen : 0;
    // Absent from the file: the model's default shows, in the alternative it belongs to.
    const defaultIndex = field.options.findIndex((o) => (o.kind === "list") === Array.isArray(field.default));
    const shown = value ?? field.default;
    const bodies = field.options.map((option, i) => {
      const start = i === current || (value == null && i === defaultIndex) ? shown : undefined;
      const label = `${field.label}: ${option.label}`;
      return control({ ...option, label, hint: "", noEmpty: true }, start, path, onChange);
    });
    const radios = field.options.map((option, i) => {
      const id = nextId();
      const radio = el("input", { type: "radio", name, id, value: String(i) });
      radio.checked = i === current;
      radio.addEventListener("change", () => {
        bodies.forEach((b, j) => (b.node.hidden = j !== i));
        onChange();
      });
      return el("span", { class: "inline" }, radio, el("label", { for: id, text: option.label }));
    });
    bodies.forEach((b, j) => (b.node.hidden = j !== current));
    // The radio buttons alone form the group (with the field's name as legend); the value's
    // own control follows it, labelled on its own.
    const group = el(
      "fieldset",
      { class: "choices", "aria-describedby": hint ? hint.id : null },
      el("legend", { text: field.label }),
      hint,
      ...radios
    );
    const node = el("div", { class: "field kind-choice" }, group, ...bodies.map((b) => b.node), problems);
    return {
      node,
      get: () => {
        const i = field.options.findIndex((_, j) => node.querySelector(`input[name="${name}"][value="${j}"]`).checked);
        return bodies[i].get();
      },
    };
  }

  const itemName = (field) => field.item.label;

  function listControl(field, values, path, onChange) {
    const hint = field.hint ? el("p", { class: "hint", id: nextId(), text: field.hint }) : null;
    const problems = problemsBox(path);
    const items = el("ol", { class: "items" });
    const addButton = el("button", { type: "button", class: "add", text: `Add ${itemName(field)}` });
    const node = el("fieldset", { class: "field kind-list", "aria-describedby": hint ? hint.id : null }, el("legend", { text: field.label }), hint, problems, items, addButton);
    let parts = [];

    function draw(list, focus) {
      parts = [];
      items.replaceChildren();
      list.forEach((value, i) => {
        const itemPath = `${path}[${i}]`;
        const noun = `${itemName(field)} ${i + 1}`;
        // An item's own label says which one it is; "(required)" is for fields inside items.
        const itemField = { ...field.item, label: noun, required: field.item.kind === "object" };
        const part = control(itemField, value, itemPath, onChange);
        parts.push(part);
        const buttons = el(
          "div",
          { class: "item-buttons", role: "group", "aria-label": `${noun}: move or remove` },
          el("button", { type: "button", "data-act": "up", disabled: i === 0, text: "Move up", "aria-label": `Move ${noun} up` }),
          el("button", { type: "button", "data-act": "down", disabled: i === list.length - 1, text: "Move down", "aria-label": `Move ${noun} down` }),
          el("button", { type: "button", "data-act": "remove", class: "remove", text: "Remove", "aria-label": `Remove ${noun}` })
        );
        buttons.addEventListener("click", (event) => {
          const act = event.target.closest("button")?.dataset.act;
          if (!act) return;
          const now = parts.map((p) => p.get());
          if (act === "remove") {
            now.splice(i, 1);
            draw(now, now.length ? { index: Math.min(i, now.length - 1), act: "remove" } : { add: true });
          } else {
            const j = act === "up" ? i - 1 : i + 1;
            [now[i], now[j]] = [now[j], now[i]];
            draw(now, { index: j, act });
          }
          onChange();
        });
        const object = field.item.kind === "object";
        const box = el(
          "li",
          { class: "item" },
          object ? el("h3", { class: "item-title", text: noun }) : null,
          part.node,
          object ? problemsBox(itemPath) : null,
          buttons
        );
        items.append(box);
      });
      if (focus) {
        if (focus.add) addButton.focus();
        else {
          const li = items.children[focus.index];
          const other = { up: "down", down: "up", remove: "remove" }[focus.act];
          const target =
            li &&
            (li.querySelector(`button[data-act="${focus.act}"]:not([disabled])`) ||
              li.querySelector(`button[data-act="${other}"]:not([disabled])`) ||
              li.querySelector("input, textarea, select"));
          if (target) target.focus();
        }
      }
    }

    addButton.addEventListener("click", () => {
      const now = parts.map((p) => p.get());
      now.push(field.item.kind === "object" ? {} : "");
      draw(now);
      const last = items.lastElementChild;
      const first = last && last.querySelector("input, textarea, select");
      if (first) first.focus();
      onChange();
    });
    draw(values);
    return {
      node,
      get: () => parts.map((p) => p.get()).filter((v) => !isEmpty(v)),
    };
  }

  function setPath(target, dotted, value) {
    const keys = dotted.split(".");
    let node = target;
    for (const key of keys.slice(0, -1)) {
      node[key] = node[key] || {};
      node = node[key];
    }
    if (!isEmpty(value)) node[keys[keys.length - 1]] = value;
  }

  function getPath(source, dotted) {
    return dotted.split(".").reduce((node, key) => (node && typeof node === "object" ? node[key] : undefined), source);
  }

  function prune(node) {
    if (Array.isArray(node)) return node;
    if (node && typeof node === "object") {
      for (const key of Object.keys(node)) {
        node[key] = prune(node[key]);
        if (isEmpty(node[key])) delete node[key];
      }
    }
    return node;
  }

  function setUpEditor(root) {
    const slug = root.dataset.slug;
    const groupsBox = document.getElementById("groups");
    const summary = document.getElementById("summary");
    const general = document.getElementById("general-problems");
    const notices = document.getElementById("notices");
    const saveStatus = document.getElementById("save-status");
    const previewStatus = document.getElementById("preview-status");
    const previewPages = document.getElementById("preview-pages");
    const buildButton = document.getElementById("build-start");
    const buildBlocked = document.getElementById("build-blocked");
    let version = null;
    let dirty = false;
    let controls = [];
    let reviewTimer = null;
    let previewTimer = null;
    let reviewSeq = 0;
    let previewSeq = 0;
    let errors = 0;

    // The form's values, and the fields whose value in the file the form leaves as it is.
    const collect = () => {
      const data = {};
      const keep = [];
      for (const c of controls) {
        const value = c.get();
        if (value === KEEP) keep.push(c.path);
        else if (c.spread) Object.assign(data, value); // the language choice: the keys it stands for
        else setPath(data, c.path, value);
      }
      return { data: prune(data), keep };
    };

    function showProblems(problems, status) {
      for (const box of root.querySelectorAll("[data-problems-for]")) box.replaceChildren();
      general.replaceChildren();
      const generalList = el("ul");
      for (const problem of problems) {
        let at = problem.at || "";
        let box = null;
        while (at) {
          box = root.querySelector(`ul[data-problems-for="${CSS.escape(at)}"]`);
          if (box) break;
          const parent = at.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
          at = parent === at ? "" : parent; // a top-level key with no field of its own: the general list
        }
        (box || generalList).append(problemItem(problem));
      }
      if (generalList.children.length) general.append(generalList);
      for (const input of root.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      for (const box of root.querySelectorAll("ul[data-problems-for]")) {
        if (box.querySelector("li.error")) {
          const input = box.parentElement.querySelector("input, textarea, select");
          if (input) input.setAttribute("aria-invalid", "true");
        }
      }
      errors = status.errors;
      summary.textContent =
        status.errors || status.warnings
          ? `${count(status.errors, "error")}, ${count(status.warnings, "warning")}.` +
            (status.errors ? " A file with errors can be saved as a draft but not built." : " It can be built; the warnings are worth reading.")
          : "Ready: no errors, no warnings.";
      summary.className = `summary status-${status.word}`;
      buildButton.disabled = status.errors > 0;
      buildBlocked.textContent = status.errors
        ? `Fix the ${count(status.errors, "error")} above, then save, before building.`
        : "";
    }

    function showNotices(lost, unknown) {
      notices.replaceChildren();
      if (unknown && unknown.length) {
        notices.append(el("p", { class: "notice", text: `This file has keys the form does not show; saving keeps them as they are: ${unknown.join(", ")}.` }));
      }
      if (lost && lost.length) {
        const list = el("ul");
        for (const c of lost) list.append(el("li", {}, el("code", { text: c })));
        notices.append(el("div", { class: "notice" }, el("p", { text: "Saving now would not keep these comments of the file (they belong to values you removed):" }), list));
      }
    }

    async function review() {
      const seq = ++reviewSeq;
      const { ok, data } = await call(`/api/orgs/${slug}/review`, { body: collect() });
      if (!ok || seq !== reviewSeq) return;
      showProblems(data.problems, data.status);
      showNotices(data.lost_comments, root.dataset.unknown ? JSON.parse(root.dataset.unknown) : []);
    }

    async function preview() {
      const seq = ++previewSeq;
      previewStatus.textContent = "Updating the preview…";
      const { ok, data } = await call(`/api/orgs/${slug}/preview`, { body: collect() });
      if (seq !== previewSeq) return;
      if (!ok || !data.pages || !data.pages.length) {
        previewStatus.textContent = (data && data.reason) || "The preview could not be made.";
        return;
      }
      const images = data.pages.map((url, i) =>
        el("img", { src: at(url), alt: `Preview, page ${i + 1} of ${data.pages.length}: ${(data.labels || [])[i] || (i === 0 ? "the cover" : "the land acknowledgement")}`, class: "page" })
      );
      await Promise.all(images.map((img) => new Promise((done) => { img.onload = done; img.onerror = done; })));
      if (seq !== previewSeq) return;
      previewPages.replaceChildren(...images);
      previewStatus.textContent = `Preview up to date (${count(data.pages.length, "page")}).`;
      previewPages.dataset.ready = String(seq);
    }

    function changed() {
      dirty = true;
      saveStatus.textContent = "Not saved yet.";
      clearTimeout(reviewTimer);
      clearTimeout(previewTimer);
      reviewTimer = setTimeout(review, 250);
      previewTimer = setTimeout(preview, 450);
    }

    function draw(state) {
      controls = [];
      groupsBox.replaceChildren();
      editionListeners.length = 0;
      editionNow = editionOf({ language: getPath(state.data, "language"), languages: getPath(state.data, "languages") });
      for (const group of state.spec) {
        const headingId = nextId();
        const section = el("section", { class: "group", id: `group-${group.id}`, "aria-labelledby": headingId }, el("h2", { id: headingId, text: group.title }));
        for (const field of group.fields) {
          const value =
            field.kind === "edition"
              ? Object.fromEntries(field.paths.map((p) => [p, getPath(state.data, p)]))
              : getPath(state.data, field.path);
          const c = control(field, value, field.path, changed);
          controls.push({ path: field.path, get: c.get, spread: Boolean(c.spread) });
          section.append(c.node);
          if (field.path === "logo") section.append(logoUpload(c));
        }
        groupsBox.append(section);
      }
      document.getElementById("org-name").textContent = shownName(state.data.name) || slug;
    }

    function logoUpload(logoControl) {
      const id = nextId();
      const problems = el("ul", { class: "problems", "aria-live": "polite", id: nextId() });
      const input = el("input", { type: "file", id, accept: ".png,.jpg,.jpeg,.svg,image/png,image/jpeg,image/svg+xml", "aria-describedby": problems.id });
      input.addEventListener("change", async () => {
        problems.replaceChildren();
        const file = input.files[0];
        if (!file) return;
        const { ok, data } = await call(`/api/orgs/${slug}/logo`, { body: file, headers: { "X-Filename": file.name } });
        if (!ok) {
          problems.append(problemItem({ severity: "error", message: data.error || "The logo was not accepted." }));
          return;
        }
        if (logoControl.input) logoControl.input.value = data.logo;
        problems.append(el("li", { class: "ok", text: `Uploaded as ${data.logo}; save to keep it.` }));
        changed();
      });
      return el("div", { class: "field" }, el("label", { for: id, text: "Upload a logo (PNG, JPEG or SVG, under 2 MB)" }), input, problems);
    }

    async function load() {
      const { ok, data } = await call(`/api/orgs/${slug}`);
      if (!ok) {
        summary.textContent = data.error || "This organization could not be loaded.";
        return;
      }
      version = data.version;
      root.dataset.unknown = JSON.stringify(data.unknown_keys || []);
      if (!data.data) {
        summary.textContent = "This file cannot be read as an organization file; fix it in a text editor first.";
        showProblems(data.problems, { errors: data.problems.length, warnings: 0, word: "errors" });
        groupsBox.append(el("pre", { class: "file-text", tabindex: "0", text: data.text }));
        return;
      }
      draw(data);
      if ("readonly" in root.dataset) {
        // Read-only for this person (the server refuses their saves anyway): nothing invites a change.
        for (const control of groupsBox.querySelectorAll("input, select, textarea, button")) control.disabled = true;
      }
      showProblems(data.problems, statusOf(data.problems));
      showNotices([], data.unknown_keys);
      showFiles(data.built);
      dirty = false;
      saveStatus.textContent = "";
      preview();
      if (window.location.hash === "#build") {
        // "Build" on the list of organizations lands here, on the button that builds.
        document.getElementById("build").scrollIntoView();
        buildButton.focus();
      }
    }

    function statusOf(problems) {
      const e = problems.filter((p) => p.severity === "error").length;
      return { errors: e, warnings: problems.length - e, word: e ? "errors" : problems.length ? "warnings" : "ready" };
    }

    async function saveNow() {
      saveStatus.textContent = "Saving…";
      const { ok, status, data } = await call(`/api/orgs/${slug}/save`, { body: { ...collect(), version } });
      if (status === 409) {
        saveStatus.textContent = data.error;
        const conflict = document.getElementById("conflict");
        document.getElementById("conflict-disk").textContent = data.disk;
        document.getElementById("conflict-mine").textContent = data.mine;
        conflict.hidden = false;
        conflict.dataset.diskVersion = data.disk_version;
        conflict.focus();
        return false;
      }
      if (!ok) {
        saveStatus.textContent = data.error || "The file was not saved.";
        return false;
      }
      version = data.version;
      dirty = false;
      showProblems(data.problems, data.status);
      // "7:38 p.m." already ends with a period: the sentence does not get a second one.
      const when = new Date().toLocaleTimeString("en-CA", { hour: "numeric", minute: "2-digit" });
      saveStatus.textContent = `Saved to content/orgs/${slug}.yaml at ${when}${when.endsWith(".") ? "" : "."}`;
      document.getElementById("org-name").textContent = shownName(collect().data.name) || slug;
      return true;
    }

    document.getElementById("org-form").addEventListener("submit", (event) => {
      event.preventDefault();
      saveNow();
    });
    groupsBox.addEventListener("input", changed);
    groupsBox.addEventListener("change", (event) => {
      if (event.target.type === "checkbox" || event.target.tagName === "SELECT") changed();
    });
    document.getElementById("conflict-reload").addEventListener("click", () => window.location.reload());
    document.getElementById("conflict-overwrite").addEventListener("click", async () => {
      const conflict = document.getElementById("conflict");
      version = conflict.dataset.diskVersion;
      if (await saveNow()) conflict.hidden = true;
    });

    function showFiles(files) {
      const list = document.getElementById("build-files");
      list.replaceChildren();
      if (!files || !files.length) {
        list.append(el("li", { text: "None yet." }));
        return;
      }
      for (const f of files) {
        // Current: a build now would leave it as it is. Out of date: the file, the curriculum or the tool changed since.
        const state = f.current
          ? el("span", { class: "current", text: "current" })
          : el("strong", { class: "stale", text: "out of date: build it again" });
        list.append(
          el("li", {}, el("a", { href: at(f.url), download: f.name, text: f.name }), ` (${f.what}; ${Math.round(f.bytes / 1024)} KB, ${f.when || "just now"}) `, state)
        );
      }
    }

    function buildChoices() {
      const checked = (id) => document.getElementById(id).checked;
      return {
        audiences: ["facilitator", "participant"].filter((a) => checked(`build-${a}`)),
        large_print: checked("build-large"),
        paper: document.getElementById("build-paper").value,
        kit: ["slides", "booklet-participant", "booklet-facilitator", "fillable"].filter((k) => checked(`build-${k}`)),
      };
    }

    function progressText(job) {
      if (job.status === "queued") {
        const ahead = job.place - 1;
        return ahead > 0 ? `Waiting: ${count(ahead, "build")} ahead of this one (place ${job.place} in the queue)…` : "Waiting for the build under way to finish (next in the queue)…";
      }
      if (job.total === null || job.total === undefined) return "Starting the build…";
      if (job.total === 0) return "Checking what needs building…";
      return `Building: ${job.done} of ${count(job.total, "document")} made…`;
    }

    buildButton.addEventListener("click", async () => {
      const messages = document.getElementById("build-messages");
      messages.replaceChildren();
      if (dirty && !(await saveNow())) return;
      if (errors) return;
      const progress = document.getElementById("build-progress");
      const bar = document.getElementById("build-bar");
      const step = document.getElementById("build-step");
      const { ok, data } = await call(`/api/orgs/${slug}/build`, { body: buildChoices() });
      if (!ok) {
        messages.append(el("ul", {}, problemItem({ severity: "error", message: data.error }), ...(data.problems || []).map(problemItem)));
        return;
      }
      buildButton.disabled = true;
      progress.hidden = false;
      bar.value = 0;
      step.textContent = "Starting the build…";
      for (;;) {
        await new Promise((done) => setTimeout(done, 400));
        const job = (await call(data.job)).data;
        bar.max = Math.max(1, job.total || 0);
        bar.value = job.done;
        if (job.status === "queued" || job.status === "running") {
          step.textContent = progressText(job);
          continue;
        }
        const list = el("ul");
        if (job.error) list.append(problemItem({ severity: "error", message: job.error }));
        for (const p of job.problems || []) list.append(problemItem(p));
        if (list.children.length) messages.append(list);
        if (job.status === "built") {
          step.textContent = job.total
            ? `Built: ${count(job.total, "document")} made, ready to download below.`
            : "Built: nothing needed building; every document asked for is up to date.";
        } else {
          step.textContent = "The build stopped; see why below.";
        }
        showFiles(job.files);
        buildButton.disabled = errors > 0;
        break;
      }
    });

    load();
  }

  const newForm = document.getElementById("new-form");
  if (newForm) setUpNewForm(newForm);
  const editor = document.getElementById("editor");
  if (editor) setUpEditor(editor);
})();
