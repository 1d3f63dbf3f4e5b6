/* The JavaScript twin of generator/quoting.py: the same filter names, the same output.
 *
 * The explorer fills the snippet templates' slots in the browser with these functions, so the
 * escaping rules still live in one place (quoting.py) and this file only mirrors them;
 * tests/test_explorer_quoting.py runs it in Node against the Python functions. Change the two
 * together.
 *
 * JSON values are kept the way Python's json.loads sees them, because the Python filters are
 * defined on those: numbers are `Num` (the text Python would print, so big integers and float
 * formatting survive) and objects are `Obj` (Python dict order and duplicate-key rules).
 */
(function () {
  "use strict";

  class QuotingError extends Error {}

  // Code points Python's str.isprintable() rejects, as sorted [start, end] pairs. The build
  // fills this from the Python that renders the site (see explorer/bundle.py), so the browser's
  // own Unicode version never matters.
  let starts = [];
  let ends = [];

  function setNonPrintable(encoded) {
    starts = [];
    ends = [];
    let at = 0;
    for (const item of encoded.split(",")) {
      const [gap, length] = item.split("+").map((part) => parseInt(part, 36));
      starts.push(at + gap);
      ends.push(at + gap + length);
      at = at + gap + length + 1;
    }
  }

  function isPrintable(cp) {
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (cp < starts[mid]) high = mid - 1;
      else if (cp > ends[mid]) low = mid + 1;
      else return false;
    }
    return true;
  }

  class Num {
    // `text` is what Python prints for the number; `raw` is how it was written.
    constructor(text, raw) {
      this.text = text;
      this.raw = raw === undefined ? text : raw;
    }
  }

  class Obj {
    constructor() {
      this.keys = [];
      this.values = [];
    }

    // Python's dict: a repeated key keeps its first position and takes the last value.
    set(key, value) {
      const index = this.keys.indexOf(key);
      if (index < 0) {
        this.keys.push(key);
        this.values.push(value);
      } else {
        this.values[index] = value;
      }
    }
  }

  // repr() of a Python float: shortest round-trip digits (as JavaScript also finds them), laid
  // out by Python's rules (exponent below 1e-4 and from 1e16, at least two exponent digits, ".0").
  function floatRepr(x) {
    if (!Number.isFinite(x)) throw new QuotingError("JSON has no NaN or Infinity");
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    const sign = x < 0 ? "-" : "";
    const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
    const digits = mantissa.replace(".", "");
    const point = parseInt(exponent, 10) + 1;
    if (point <= -4 || point > 16) {
      const exp = point - 1;
      const expText = String(Math.abs(exp)).padStart(2, "0");
      const rest = digits.length > 1 ? "." + digits.slice(1) : "";
      return `${sign}${digits[0]}${rest}e${exp < 0 ? "-" : "+"}${expText}`;
    }
    if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }

  function numberFromToken(token) {
    if (!/[.eE]/.test(token)) return new Num(/^-0+$/.test(token) ? "0" : token, token);
    const value = Number(token);
    if (!Number.isFinite(value)) throw new SyntaxError(`the number ${token} is out of range`);
    return new Num(floatRepr(value), token);
  }

  // json.loads, strict as Python's: no comments, no trailing commas, no control characters in
  // strings; NaN and Infinity are refused because json_text could not print them back.
  function parseJson(text) {
    let at = 0;
    const fail = (what) => {
      const before = text.slice(0, at).split("\n");
      const line = before.length;
      const column = before[before.length - 1].length + 1;
      throw new SyntaxError(`${what} at line ${line} column ${column}`);
    };
    const space = () => {
      while (at < text.length && " \t\n\r".includes(text[at])) at += 1;
    };
    const string = () => {
      at += 1;
      let out = "";
      for (;;) {
        if (at >= text.length) fail("Unterminated string");
        const char = text[at];
        if (char === '"') {
          at += 1;
          return out;
        }
        if (char < " ") fail("Invalid control character in string");
        if (char !== "\\") {
          out += char;
          at += 1;
          continue;
        }
        const escape = text[at + 1];
        const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[escape];
        if (simple !== undefined) {
          out += simple;
          at += 2;
        } else if (escape === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
          at += 6;
        } else {
          fail("Invalid \\escape");
        }
      }
    };
    const value = (depth) => {
      if (depth > 500) fail("Nested too deeply");
      space();
      const char = text[at];
      if (char === "{") {
        const object = new Obj();
        at += 1;
        space();
        if (text[at] === "}") {
          at += 1;
          return object;
        }
        for (;;) {
          space();
          if (text[at] !== '"') fail("Expecting property name enclosed in double quotes");
          const key = string();
          space();
          if (text[at] !== ":") fail("Expecting ':' delimiter");
          at += 1;
          object.set(key, value(depth + 1));
          space();
          if (text[at] === "}") {
            at += 1;
            return object;
          }
          if (text[at] !== ",") fail("Expecting ',' delimiter");
          at += 1;
        }
      }
      if (char === "[") {
        const array = [];
        at += 1;
        space();
        if (text[at] === "]") {
          at += 1;
          return array;
        }
        for (;;) {
          array.push(value(depth + 1));
          space();
          if (text[at] === "]") {
            at += 1;
            return array;
          }
          if (text[at] !== ",") fail("Expecting ',' delimiter");
          at += 1;
        }
      }
      if (char === '"') return string();
      for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
        if (text.startsWith(word, at)) {
          at += word.length;
          return result;
        }
      }
      const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
      number.lastIndex = at;
      const match = number.exec(text);
      if (match) {
        at += match[0].length;
        try {
          return numberFromToken(match[0]);
        } catch (error) {
          at -= match[0].length;
          fail(error.message);
        }
      }
      if (/^(-?Infinity|NaN)/.test(text.slice(at))) fail("NaN and Infinity are not JSON");
      fail("Expecting value");
    };
    const result = value(0);
    space();
    if (at < text.length) fail("Extra data");
    return result;
  }

  // Python's str() of the scalar values templates print.
  function str(value) {
    if (typeof value === "string") return value;
    if (value instanceof Num) return value.text;
    if (value === true) return "True";
    if (value === false) return "False";
    if (value === null) return "None";
    throw new QuotingError("a structured value cannot be printed as text");
  }

  function int(value) {
    return value instanceof Num ? parseInt(value.text, 10) : value;
  }

  // --- POSIX shell (bash) ---

  // quoting.py's _UNSHOWN: a word holding a control character other than a tab or a line feed
  // is written $'…' (HTML reads a CR as a line break).
  const UNSHOWN = /[\x01-\x08\x0b-\x1f\x7f]/u;
  const ANSI_C_ESCAPES = { "\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r" };

  function shellQuote(value) {
    const text = str(value);
    if (text.includes("\0")) throw new QuotingError("a shell word cannot hold a NUL character");
    if (UNSHOWN.test(text)) {
      return "$'" + Array.from(text, (char) => ANSI_C_ESCAPES[char]
        || (UNSHOWN.test(char) ? "\\x" + char.charCodeAt(0).toString(16).padStart(2, "0") : char)).join("") + "'";
    }
    return "'" + text.replace(/'/g, "'\\''") + "'";
  }

  // Each word quoted for bash, joined by the template's separator; no words are one empty word.
  function shJoined(words, separator) {
    return words.length ? words.map(shellQuote).join(separator) : shellQuote("");
  }

  function curlHeader(header) {
    const [name, value] = header;
    return shellQuote(value === "" ? `${name};` : `${name}: ${value}`);
  }

  // HTTPie's separator characters escaped; a backslash before one cannot be said (`what` names it).
  function httpieEscaped(text, what) {
    for (let index = 0; index < text.length - 1; index += 1) {
      if (text[index] === "\\" && ":;=@".includes(text[index + 1])) {
        throw new QuotingError(`${what}: HTTPie cannot send a backslash followed by '${text[index + 1]}'`);
      }
    }
    return text.replace(/[:;=@]/g, "\\$&");
  }

  function httpieHeader(header) {
    const [name, value] = header;
    if (value === "") return shellQuote(`${name};`);
    return shellQuote(`${name}:${httpieEscaped(value, `header ${name}`)}`);
  }

  // --- JSON text (json.dumps with ensure_ascii=False) ---

  const JSON_ESCAPES = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

  function jsonString(text) {
    return '"' + text.replace(/["\\\x00-\x1f]/g, (char) =>
      JSON_ESCAPES[char] || "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0")) + '"';
  }

  // `raw` keeps numbers as the server wrote them (for showing responses, not for snippets).
  function dump(value, indent, level, raw) {
    const newline = indent === null ? "" : "\n" + " ".repeat(indent * (level + 1));
    const close = indent === null ? "" : "\n" + " ".repeat(indent * level);
    const comma = indent === null ? ", " : ",";
    if (value === null) return "null";
    if (value === true) return "true";
    if (value === false) return "false";
    if (value instanceof Num) return raw ? value.raw : value.text;
    if (typeof value === "string") return jsonString(value);
    if (Array.isArray(value)) {
      if (!value.length) return "[]";
      return "[" + newline + value.map((item) => dump(item, indent, level + 1, raw)).join(comma + newline) + close + "]";
    }
    if (value instanceof Obj) {
      if (!value.keys.length) return "{}";
      const items = value.keys.map((key, index) => jsonString(key) + ": " + dump(value.values[index], indent, level + 1, raw));
      return "{" + newline + items.join(comma + newline) + close + "}";
    }
    throw new QuotingError("not a JSON value");
  }

  function jsonText(value, indent = 2, raw = false) {
    return dump(value, indent === null ? null : int(indent), 0, raw);
  }

  // --- Python ---

  const PY_ESCAPES = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

  function pythonString(text) {
    let out = "";
    for (const char of str(text)) {
      const cp = char.codePointAt(0);
      if (PY_ESCAPES[char]) out += PY_ESCAPES[char];
      else if (isPrintable(cp)) out += char;
      else if (cp <= 0xffff) out += "\\u" + cp.toString(16).padStart(4, "0");
      else out += "\\U" + cp.toString(16).padStart(8, "0");
    }
    return '"' + out + '"';
  }

  function pythonLiteral(value, indent = 4, level = 0) {
    indent = int(indent);
    level = int(level);
    const pad = " ".repeat(indent * level);
    const inner = " ".repeat(indent * (level + 1));
    if (value === null) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (value instanceof Num) return value.text;
    if (typeof value === "string") return pythonString(value);
    if (Array.isArray(value)) {
      if (!value.length) return "[]";
      return "[\n" + value.map((item) => inner + pythonLiteral(item, indent, level + 1)).join(",\n") + ",\n" + pad + "]";
    }
    if (value instanceof Obj) {
      if (!value.keys.length) return "{}";
      const items = value.keys.map((key, index) =>
        `${inner}${pythonString(key)}: ${pythonLiteral(value.values[index], indent, level + 1)}`);
      return "{\n" + items.join(",\n") + ",\n" + pad + "}";
    }
    throw new QuotingError("not a JSON value");
  }

  // --- JavaScript ---

  const JS_ESCAPES = { ...PY_ESCAPES, "\u2028": "\\u2028", "\u2029": "\\u2029" };

  function jsString(text) {
    let out = "";
    for (const char of str(text)) {
      const cp = char.codePointAt(0);
      if (JS_ESCAPES[char]) out += JS_ESCAPES[char];
      else if (isPrintable(cp)) out += char;
      else out += "\\u{" + cp.toString(16) + "}";
    }
    return '"' + out + '"';
  }

  function jsTemplateLiteral(text) {
    return "`" + str(text).replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${") + "`";
  }

  function jsBody(value) {
    return jsTemplateLiteral(jsonText(value));
  }

  // --- URLs: urllib.parse.quote(text, safe="") ---

  function quote(text) {
    try {
      return encodeURIComponent(text).replace(/[!'()*]/g, (char) => "%" + char.charCodeAt(0).toString(16).toUpperCase());
    } catch (error) {
      throw new QuotingError("the text holds a lone surrogate and cannot be sent as UTF-8");
    }
  }

  // --- Form bodies (model/forms.py): a JSON object as application/x-www-form-urlencoded fields ---

  // Kept as they are in a form's text: forms.py's `_READABLE` (beside quote's A-Z a-z 0-9 _ . - ~).
  const FORM_SAFE = "!$()*,/:?@[]|";

  // urllib.parse.quote_plus(text, safe=FORM_SAFE): quote's escapes, less those of FORM_SAFE,
  // and a space as "+". A "%" starts every escape (a "%" of the text is "%25"), so escapes
  // are matched whole; a lone surrogate is refused by quote.
  function formQuote(text) {
    return quote(text).replace(/%[0-9A-F]{2}/g, (escape) => {
      if (escape === "%20") return "+";
      const char = String.fromCharCode(parseInt(escape.slice(1), 16));
      return FORM_SAFE.includes(char) ? char : escape;
    });
  }

  // json.dumps of a value that is not an object, as forms.py names it in its error.
  function formKind(value) {
    if (Array.isArray(value)) return "a list";
    if (typeof value === "string") return "text";
    if (value === null || value === true || value === false || value instanceof Num) return jsonText(value, null);
    throw new QuotingError("not a JSON value");
  }

  function formScalar(value) {
    if (value === null) return "";
    if (value === true) return "true";
    if (value === false) return "false";
    if (value instanceof Num) return value.text;
    if (typeof value === "string") return value;
    throw new QuotingError("not a JSON value");
  }

  const isContainer = (value) => Array.isArray(value) || value instanceof Obj;

  // How a member's lists travel (forms.py's REPEAT, INDEX, or a delimiter string), or the member
  // itself as one field of its JSON text (forms.py's JSON_TEXT).
  const REPEAT = "repeat";
  const INDEX = "index";
  const JSON_TEXT = "json";

  // `lists` (forms.py's `lists`: member name → REPEAT, INDEX or a delimiter) as a Map; null or
  // undefined is none. An Obj, as the snippets' `{"j": …}` argument parses; a later duplicate
  // key already replaced the earlier value in the Obj, as in a Python dict.
  function listStyles(lists) {
    const styles = new Map();
    if (lists === null || lists === undefined) return styles;
    if (!(lists instanceof Obj)) throw new QuotingError("a form's lists must be an object");
    lists.keys.forEach((key, index) => styles.set(key, lists.values[index]));
    return styles;
  }

  // form_fields: [name, text] pairs in order, bracket names for nested members; a list of
  // scalars repeating its name, or indexed, or its texts joined in one field, as `lists` says for
  // its top-level member; a list holding containers indexed. Depth first, without recursion.
  function formFields(value, lists) {
    if (!(value instanceof Obj)) {
      throw new QuotingError(`a form body must be a JSON object (its fields), not ${formKind(value)}`);
    }
    const styles = listStyles(lists);
    const fields = [];
    const pending = [];
    // Last first, so the stack pops them in order (a loop: spreading a long list overflows).
    const later = (names, items, style) => {
      for (let index = items.length - 1; index >= 0; index -= 1) pending.push([names(index), items[index], style(index)]);
    };
    later((index) => value.keys[index], value.values, (index) => {
      const style = styles.get(value.keys[index]);
      return style === undefined ? REPEAT : style;
    });
    while (pending.length) {
      const [name, member, style] = pending.pop();
      if (style === JSON_TEXT) {
        fields.push([name, jsonText(member, null)]); // forms.py's json_field_text
        continue;
      }
      const innerStyle = INDEX; // lists below a member are indexed; its own list travels as its style says
      if (member instanceof Obj) {
        later((index) => `${name}[${member.keys[index]}]`, member.values, () => innerStyle);
      } else if (Array.isArray(member) && (style === INDEX || member.some(isContainer))) {
        later((index) => `${name}[${index}]`, member, () => innerStyle);
      } else if (Array.isArray(member) && style !== REPEAT) {
        if (member.length) {
          // Python's str.join: only text joins (a style that is not text fails there, and here).
          if (typeof style !== "string") throw new QuotingError(`the lists of ${name} travel by ${formKind(style)}, not a delimiter`);
          fields.push([name, member.map(formScalar).join(style)]);
        }
      } else if (Array.isArray(member)) {
        for (const item of member) fields.push([name, formScalar(item)]);
      } else {
        fields.push([name, formScalar(member)]);
      }
    }
    return fields;
  }

  // form_map: name → text, or the list of texts of a repeated name, in first-appearance order.
  function formMap(value, lists) {
    return grouped(formFields(value, lists));
  }

  // [name, text] pairs as an Obj: name → text, or the list of texts of a repeated name.
  function grouped(pairs) {
    const mapping = new Obj();
    const at = new Map(); // name → its index in mapping (Obj.set looks keys up one by one)
    for (const [name, text] of pairs) {
      const index = at.get(name);
      if (index === undefined) {
        at.set(name, mapping.keys.length);
        mapping.keys.push(name);
        mapping.values.push(text);
      } else if (Array.isArray(mapping.values[index])) {
        mapping.values[index].push(text);
      } else {
        mapping.values[index] = [mapping.values[index], text];
      }
    }
    return mapping;
  }

  // form_text: the body's text as forms.py writes it (a lone surrogate is refused, as Python's UTF-8 does).
  function formPieces(value, lists) {
    return formFields(value, lists).map(([name, text]) => `${formQuote(name)}=${formQuote(text)}`);
  }

  function formText(value, lists) {
    return formPieces(value, lists).join("&");
  }

  // --- Multipart bodies (model/multipart.py): a form whose fields may be files ---

  // One part: a text field, or a file (`value` is then its name). The attribute names are
  // Python's, as the snippet templates read them.
  class Part {
    constructor(name, value, isFile = false) {
      this.name = name;
      this.value = value;
      this.is_file = isFile;
    }
  }

  // multipart.py's _FILE_NAME and _UNSENDABLE_IN_NAME.
  const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
  const UNSENDABLE_IN_NAME = /[="\\\r\n\x00]/;

  // file_names: one plain file name or a list of them, else null.
  function fileNames(value) {
    const names = Array.isArray(value) ? value : [value];
    return names.every((name) => typeof name === "string" && FILE_NAME.test(name)) ? names : null;
  }

  // multipart_parts: the parts, in member order; members named in `files` as files, the
  // others as form fields (formFields, their lists as `lists` says).
  function multipartParts(value, files, lists) {
    if (!(value instanceof Obj)) {
      const kind = Array.isArray(value) ? "a list" : typeof value === "string" ? "text" : str(value);
      throw new QuotingError(`a multipart body must be a JSON object (its fields), not ${kind}`);
    }
    const fileFields = new Set(files instanceof Obj ? files.keys : files);
    const styles = listStyles(lists);
    const parts = [];
    value.keys.forEach((name, index) => {
      const member = value.values[index];
      if (fileFields.has(name)) {
        const names = fileNames(member);
        if (names === null) throw new QuotingError(`the file field '${name}' must hold a file name or a list of them`);
        for (const fileName of names) parts.push(new Part(name, fileName, true));
        return;
      }
      const own = new Obj();
      own.set(name, member);
      const style = new Obj();
      style.set(name, styles.has(name) ? styles.get(name) : REPEAT);
      for (const [field, text] of formFields(own, style)) parts.push(new Part(field, text));
    });
    for (const part of parts) {
      if (part.value.includes("\0")) {
        throw new QuotingError(`the field '${part.name}' holds a NUL character, which no shell snippet can send`);
      }
      if (UNSENDABLE_IN_NAME.test(part.name)) {
        throw new QuotingError(`the field name '${part.name}' cannot be a part's name: curl reads a name up to its first =, ` +
          "a \" or a line break would end the part's header, and clients write a \\ differently");
      }
    }
    return parts;
  }

  // How the explorer names a file the reader chose, for the snippets to write: a plain file
  // name (FILE_NAME: letters, digits, ".", "_" and "-", at most 100, no dot or dash first), the only
  // names they write. Not a filter: Python never sees the reader's files.
  function plainFileName(name) {
    return name.replace(/[^A-Za-z0-9._-]/gu, "_").replace(/^[.-]/, "_").slice(0, 100) || "upload";
  }

  // at_file: `@name`, curl's and HTTPie's way to send a file's bytes as the body (model/raw.py).
  function atFile(name) {
    if (!(typeof name === "string" && FILE_NAME.test(name))) throw new QuotingError(`${str(name)} is not a plain file name`);
    return `@${name}`;
  }

  function curlPart(part) {
    if (part.is_file) return `-F ${shellQuote(`${part.name}=@${part.value}`)}`;
    return `--form-string ${shellQuote(`${part.name}=${part.value}`)}`;
  }

  function httpiePart(part) {
    const name = httpieEscaped(part.name, `field ${part.name}`);
    if (part.is_file) return shellQuote(`${name}@${part.value}`);
    return shellQuote(`${name}=${httpieEscaped(part.value, `field ${part.name}`)}`);
  }

  // python_files: `files=` of requests, a dict, or a list of pairs when a field holds several files.
  // Without a file, requests would send data= URL-encoded: the text parts go here as (None, text).
  function pythonFiles(parts) {
    const uploads = parts.some((part) => part.is_file);
    const files = parts.filter((part) => part.is_file || !uploads)
      .map((part) => [pythonString(part.name),
        part.is_file ? `open(${pythonString(part.value)}, "rb")` : `(None, ${pythonString(part.value)})`]);
    if (new Set(files.map(([name]) => name)).size === files.length) {
      return "{" + files.map(([name, opened]) => `${name}: ${opened}`).join(", ") + "}";
    }
    return "[" + files.map(([name, opened]) => `(${name}, ${opened})`).join(", ") + "]";
  }

  // python_fields: `data=` of requests, the text parts by name, a repeated name's texts a list.
  function pythonFields(parts) {
    const uploads = parts.some((part) => part.is_file);
    return pythonLiteral(grouped(parts.filter((part) => uploads && !part.is_file).map((part) => [part.name, part.value])));
  }

  const FILTERS = {
    sh: shellQuote,
    sh_joined: shJoined,
    curl_header: curlHeader,
    httpie_header: httpieHeader,
    json_text: jsonText,
    py: pythonLiteral,
    py_str: pythonString,
    js_str: jsString,
    js_body: jsBody,
    form_text: formText,
    form_map: formMap,
    form_pieces: formPieces,
    multipart_parts: multipartParts,
    curl_part: curlPart,
    httpie_part: httpiePart,
    py_files: pythonFiles,
    py_fields: pythonFields,
    at_file: atFile,
  };

  const api = { FILTERS, Num, Obj, Part, QuotingError, parseJson, jsonText, quote, str, setNonPrintable, formFields,
    plainFileName };
  if (typeof window !== "undefined") window.apidocsQuoting = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})();
