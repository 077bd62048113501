// Building DOM nodes from data. Text always goes in as text nodes, never as HTML, so a run's
// input, a log line or a workflow name can never inject markup (the server's Content
// Security Policy would also refuse any script it smuggled in).

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

function apply(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined) continue;
    if (value === false) {
      if (key in el && !(el instanceof SVGElement)) el[key] = false;
      continue;
    }
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "style") {
      Object.assign(el.style, value); // CSSOM, which the style-src policy allows
    } else if (key in el && !(el instanceof SVGElement) && key !== "list") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  return el;
}

/** h("a", {href: "#/"}, "text", child, [more]) */
export function h(tag, props, ...children) {
  return append(apply(document.createElement(tag), props), children);
}

export function svg(tag, props, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), props), children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}
