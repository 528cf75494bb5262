/**
 * A strict little XML reader for tests of the SVG the project writes: it throws on anything that
 * is not well-formed (unbalanced or crossed tags, unquoted or repeated attributes, a raw `<` or an
 * unknown entity in text or attributes, more than one root) and returns the elements in document
 * order. It knows no DTDs, CDATA or processing instructions, which the project never writes.
 *
 * @module
 */

/** One element: its name, attributes and the text directly inside it. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  text: string;
  /** Names of the enclosing elements, outermost first. */
  path: string[];
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkText(s: string, where: string): string {
  if (s.includes("<")) throw new SyntaxError(`Raw "<" in ${where}`);
  if (s.replace(ENTITY, "").includes("&")) throw new SyntaxError(`Unescaped "&" in ${where}`);
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * Parses `xml`, returning every element in document order.
 *
 * @throws {SyntaxError} On the first thing that makes the text not well-formed
 */
export function parseXml(xml: string): XmlElement[] {
  const out: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let i = 0, roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== "") {
      throw new SyntaxError(`Text outside the root: "${text.trim()}"`);
    }
    if (stack.length) {
      stack[stack.length - 1].text += checkText(text, `text of <${stack[stack.length - 1].name}>`);
    }
    if (lt < 0) break;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) throw new SyntaxError(`Unclosed tag at ${lt}`);
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) {
        throw new SyntaxError(`</${name}> closes <${open?.name ?? "nothing"}>`);
      }
    } else {
      const selfClosing = tag.endsWith("/");
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = NAME.exec(body);
      if (!m) throw new SyntaxError(`Bad tag <${tag}>`);
      const attrs: Record<string, string> = {};
      let rest = body.slice(m[0].length);
      while (rest.trim() !== "") {
        const a = /^\s+([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(rest);
        if (!a) throw new SyntaxError(`Bad attribute in <${m[0]}>: "${rest.trim()}"`);
        if (a[1] in attrs) throw new SyntaxError(`Repeated attribute "${a[1]}" in <${m[0]}>`);
        attrs[a[1]] = checkText(a[2], `attribute ${a[1]} of <${m[0]}>`);
        rest = rest.slice(a[0].length);
      }
      if (stack.length === 0 && ++roots > 1) throw new SyntaxError("More than one root element");
      const el: XmlElement = { name: m[0], attrs, text: "", path: stack.map((s) => s.name) };
      out.push(el);
      if (!selfClosing) stack.push(el);
    }
    i = gt + 1;
  }
  if (stack.length) throw new SyntaxError(`<${stack[stack.length - 1].name}> is never closed`);
  if (roots === 0) throw new SyntaxError("No root element");
  return out;
}
