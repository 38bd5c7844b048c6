// Renders /api/openapi.json as a readable page: operations by tag, their parameters,
// request bodies, responses and schemas. No framework, no CDN.
"use strict";
(function () {
  const root = document.getElementById("api-docs");
  if (!root) return;
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    children.flat().forEach((c) => e.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return e;
  };
  const refName = (ref) => ref.split("/").pop();
  const typeOf = (schema) => {
    if (!schema) return "";
    if (schema.$ref) return refName(schema.$ref);
    if (schema.type === "array") return typeOf(schema.items) + "[]";
    if (Array.isArray(schema.type)) return schema.type.join(" | ");
    if (schema.oneOf || schema.anyOf) return (schema.oneOf || schema.anyOf).map(typeOf).join(" | ");
    return (schema.type || "object") + (schema.format ? " (" + schema.format + ")" : "");
  };
  const link = (schema) => {
    const name = typeOf(schema);
    const target = schema && (schema.$ref || (schema.items && schema.items.$ref));
    return target ? el("a", { href: "#schema-" + refName(target) }, name) : el("code", {}, name);
  };
  fetch("/api/openapi.json")
    .then((r) => r.json())
    .then((doc) => {
      root.replaceChildren();
      root.append(el("p", {}, doc.info.description || ""));
      const byTag = {};
      Object.entries(doc.paths).forEach(([path, item]) =>
        Object.entries(item).forEach(([method, op]) => {
          const tag = (op.tags && op.tags[0]) || "api";
          (byTag[tag] = byTag[tag] || []).push([method, path, op]);
        })
      );
      Object.entries(byTag).forEach(([tag, ops]) => {
        root.append(el("h2", {}, tag));
        ops.forEach(([method, path, op]) => {
          const section = el("section", { class: "card", "data-test": "operation" },
            el("h3", {}, el("code", {}, method.toUpperCase() + " " + path)),
            el("p", {}, op.summary || ""), op.description ? el("p", {}, op.description) : "");
          if (op.parameters && op.parameters.length) {
            section.append(el("table", {},
              el("tr", {}, el("th", {}, "参数 parameter"), el("th", {}, "位置 in"), el("th", {}, "类型 type"), el("th", {}, "说明")),
              op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
                el("td", {}, link(p.schema)), el("td", {}, p.description || "")))));
          }
          const body = op.requestBody && op.requestBody.content["application/json"];
          if (body) section.append(el("p", {}, "请求体 body: ", link(body.schema)));
          section.append(el("ul", {}, Object.entries(op.responses).map(([status, r]) => {
            const content = r.content && r.content["application/json"];
            return el("li", {}, el("code", {}, status), " ", r.description || "", content ? [" → ", link(content.schema)] : []);
          })));
          root.append(section);
        });
      });
      root.append(el("h2", {}, "数据结构 schemas"));
      Object.entries((doc.components && doc.components.schemas) || {}).forEach(([name, schema]) => {
        const required = new Set(schema.required || []);
        root.append(el("section", { class: "card", id: "schema-" + name }, el("h3", {}, name),
          schema.description ? el("p", {}, schema.description) : "",
          el("table", {}, Object.entries(schema.properties || {}).map(([prop, s]) =>
            el("tr", {}, el("td", {}, el("code", {}, prop + (required.has(prop) ? " *" : ""))), el("td", {}, link(s)),
              el("td", {}, s.description || ""))))));
      });
    })
    .catch((e) => root.replaceChildren(el("p", { class: "error" }, "文档读取失败 / could not load the document: " + e)));
})();
