/**
 * The WebKit adapter's selector engine, run inside the page (its source is sent there, so it
 * must not refer to anything outside itself): Playwright's css, role, label and text locators,
 * filters and nth, and the element states its matchers read (visible, disabled, focused…).
 *
 * It follows Playwright's injected script where the specs can tell (text matching, which
 * elements getByText returns, hidden-for-ARIA, visibility), and keeps the accessible name
 * computation small: aria-labelledby, aria-label, labels, alt, name from content, title and
 * placeholder, which covers the buttons, form controls, landmarks, lists, tables and images
 * of jobrail's pages. Every step searches through open shadow roots, as Playwright's does.
 */

/** One step of a locator chain, as sent to the page. */
export type Step =
  | { css: string }
  | { role: string; name?: string | RegExp; exact?: boolean; includeHidden?: boolean }
  | { label: string | RegExp; exact?: boolean }
  | { text: string | RegExp; exact?: boolean }
  | { hasText: string | RegExp }
  | { hasNotText: string | RegExp }
  | { nth: number };

export type Dom = ReturnType<typeof domEngine>;

export function domEngine() {
  const normalize = (s: string): string => s.replace(/\u200b/g, '').trim().replace(/\s+/g, ' ');

  /** Playwright's text matching: a string is a case-insensitive substring unless exact. */
  const matcher = (want: string | RegExp, exact = false) => {
    if (want instanceof RegExp) {
      const re = new RegExp(want.source, want.flags.replace('g', ''));
      return (s: string) => re.test(s);
    }
    const w = normalize(want);
    return exact ? (s: string) => normalize(s) === w : (s: string) => normalize(s).toLowerCase().includes(w.toLowerCase());
  };

  const composedParent = (el: Element): Element | null => {
    if (el.assignedSlot) return el.assignedSlot;
    if (el.parentElement) return el.parentElement;
    const root = el.parentNode;
    return root instanceof ShadowRoot ? root.host : null;
  };

  /** Every element below `root` in tree order, each host followed by its shadow tree, then its children. */
  const descendants = (root: Element | Document): Element[] => {
    const out: Element[] = [];
    const walk = (node: Element | Document | ShadowRoot) => {
      if (node instanceof Element && node.shadowRoot) walk(node.shadowRoot);
      for (const child of node.children) {
        out.push(child);
        walk(child);
      }
    };
    walk(root);
    return out;
  };

  /** Playwright's elementText: the text of light children and of the shadow tree. */
  const skipForText = (el: Element) => ['SCRIPT', 'NOSCRIPT', 'STYLE'].includes(el.nodeName) || (document.head?.contains(el) ?? false);
  const elementText = (root: Element | ShadowRoot): string => {
    if (root instanceof Element && skipForText(root)) return '';
    if (root instanceof HTMLInputElement && (root.type === 'submit' || root.type === 'button')) return root.value;
    let full = '';
    for (let child = root.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === Node.TEXT_NODE) full += child.nodeValue ?? '';
      else if (child instanceof Element) full += elementText(child);
    }
    if (root instanceof Element && root.shadowRoot) full += elementText(root.shadowRoot);
    return full;
  };

  const styleVisible = (el: Element, style: CSSStyleDeclaration): boolean => {
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility()) return false;
    return style.visibility === 'visible';
  };

  /** Playwright's isVisible: a non-empty box and not visibility:hidden (display:contents by its children). */
  const isVisible = (el: Element): boolean => {
    const style = getComputedStyle(el);
    if (style.display === 'contents') {
      for (let child = el.firstChild; child; child = child.nextSibling) {
        if (child instanceof Element && isVisible(child)) return true;
        if (child.nodeType === Node.TEXT_NODE) {
          const range = document.createRange();
          range.selectNode(child);
          const r = range.getBoundingClientRect();
          if (r.width > 0 && r.height > 0) return true;
        }
      }
      return false;
    }
    if (!styleVisible(el, style)) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };

  /** Hidden from assistive technology: what getByRole leaves out unless includeHidden. */
  const hiddenForAria = (el: Element): boolean => {
    if (['STYLE', 'SCRIPT', 'NOSCRIPT', 'TEMPLATE'].includes(el.nodeName)) return true;
    const style = getComputedStyle(el);
    const optionInSelect = el.nodeName === 'OPTION' && !!el.closest('select');
    if (style.display === 'contents' && el.nodeName !== 'SLOT') {
      if ([...el.children].every(hiddenForAria)) return true;
    } else if (!optionInSelect && el.nodeName !== 'SLOT' && !styleVisible(el, style)) return true;
    for (let e: Element | null = el; e; e = composedParent(e)) {
      if (e.getAttribute('aria-hidden') === 'true') return true;
      if (getComputedStyle(e).display === 'none') return true;
      const parent = e.parentElement;
      if (parent?.shadowRoot && !e.assignedSlot) return true;
    }
    return false;
  };

  const implicitRole = (el: Element): string | null => {
    const tag = el.localName;
    const named = () => el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') || el.hasAttribute('title');
    switch (tag) {
      case 'a':
      case 'area':
        return el.hasAttribute('href') ? 'link' : null;
      case 'button':
        return 'button';
      case 'input': {
        const input = el as HTMLInputElement;
        const type = input.type;
        if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
        if (type === 'checkbox') return 'checkbox';
        if (type === 'radio') return 'radio';
        if (type === 'range') return 'slider';
        if (type === 'number') return 'spinbutton';
        if (type === 'hidden') return null;
        if (input.hasAttribute('list')) return 'combobox';
        if (type === 'search') return 'searchbox';
        return ['text', 'email', 'tel', 'url', 'password', ''].includes(type) ? 'textbox' : null;
      }
      case 'select':
        return (el as HTMLSelectElement).multiple || (el as HTMLSelectElement).size > 1 ? 'listbox' : 'combobox';
      case 'textarea':
        return 'textbox';
      case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6':
        return 'heading';
      case 'img':
        return el.getAttribute('alt') === '' && !named() ? 'presentation' : 'img';
      case 'ul': case 'ol': case 'menu':
        return 'list';
      case 'li':
        return 'listitem';
      case 'nav':
        return 'navigation';
      case 'main':
        return 'main';
      case 'aside':
        return 'complementary';
      case 'article':
        return 'article';
      case 'section':
        return named() ? 'region' : null;
      case 'form':
        return named() ? 'form' : null;
      case 'header':
        return el.closest('article, aside, main, nav, section') ? null : 'banner';
      case 'footer':
        return el.closest('article, aside, main, nav, section') ? null : 'contentinfo';
      case 'table':
        return 'table';
      case 'thead': case 'tbody': case 'tfoot':
        return 'rowgroup';
      case 'tr':
        return 'row';
      case 'td':
        return 'cell';
      case 'th':
        return el.getAttribute('scope') === 'row' ? 'rowheader' : 'columnheader';
      case 'caption':
        return 'caption';
      case 'progress':
        return 'progressbar';
      case 'output':
        return 'status';
      case 'option':
        return 'option';
      case 'fieldset':
        return 'group';
      case 'dialog':
        return 'dialog';
      case 'p':
        return 'paragraph';
      case 'hr':
        return 'separator';
      case 'summary':
        return 'button';
      default:
        return null;
    }
  };

  const role = (el: Element): string | null => {
    const explicit = (el.getAttribute('role') ?? '').trim().split(/\s+/)[0];
    return explicit || implicitRole(el);
  };

  /** Roles whose name comes from their content when nothing else names them. */
  const NAME_FROM_CONTENT = new Set(['button', 'cell', 'checkbox', 'columnheader', 'gridcell', 'heading', 'link', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'option', 'radio', 'row', 'rowheader', 'switch', 'tab', 'tooltip', 'treeitem', 'caption']);

  const byId = (el: Element, ids: string): Element[] => {
    const root = el.getRootNode() as Document | ShadowRoot;
    return ids.split(/\s+/).filter(Boolean).map((id) => root.getElementById(id)).filter((e): e is HTMLElement => e !== null);
  };

  /** The value an embedded control contributes to a name computed from content. */
  const controlValue = (el: Element): string | null => {
    const r = role(el);
    if (el instanceof HTMLInputElement && (r === 'textbox' || r === 'searchbox' || r === 'combobox' || r === 'slider' || r === 'spinbutton')) return el.value;
    if (el instanceof HTMLTextAreaElement) return el.value;
    if (el instanceof HTMLSelectElement) return [...el.selectedOptions].map((o) => o.text).join(' ');
    return null;
  };

  const isBlock = (el: Element) => !['inline', 'contents'].includes(getComputedStyle(el).display);

  const fromContent = (el: Element, includeHidden: boolean, visited: Set<Element>): string => {
    const parts: string[] = [];
    const nodes = el.shadowRoot ? [...el.shadowRoot.childNodes] : el instanceof HTMLSlotElement && el.assignedNodes().length ? el.assignedNodes() : [...el.childNodes];
    for (const node of nodes) {
      if (node.nodeType === Node.TEXT_NODE) parts.push(node.nodeValue ?? '');
      else if (node instanceof Element) {
        if (!includeHidden && hiddenForAria(node)) continue;
        const text = nameOf(node, includeHidden, visited, true);
        parts.push(isBlock(node) ? ` ${text} ` : text);
      }
    }
    return parts.join('');
  };

  /** A small accessible name computation (accname 1.2 steps 2B–2I, without CSS generated content). */
  const nameOf = (el: Element, includeHidden: boolean, visited: Set<Element>, inContent = false): string => {
    if (visited.has(el)) return '';
    visited.add(el);
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy && !inContent) {
      const text = byId(el, labelledBy).map((e) => nameOf(e, true, visited, true)).join(' ');
      if (normalize(text)) return text;
    }
    if (inContent) {
      const value = controlValue(el);
      if (value !== null) return value;
    }
    const ariaLabel = el.getAttribute('aria-label');
    if (ariaLabel && ariaLabel.trim()) return ariaLabel;
    if (el instanceof HTMLInputElement && ['button', 'submit', 'reset'].includes(el.type)) return el.value || (el.type === 'submit' ? 'Submit' : el.type === 'reset' ? 'Reset' : '');
    if (el instanceof HTMLInputElement && el.type === 'image') return el.alt || el.value || 'Submit';
    if (!inContent && (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement || el instanceof HTMLButtonElement || el instanceof HTMLMeterElement || el instanceof HTMLOutputElement || el instanceof HTMLProgressElement)) {
      const labels = [...(el.labels ?? [])].map((l) => fromContent(l, includeHidden, visited)).join(' ');
      if (normalize(labels)) return labels;
    }
    if (el instanceof HTMLImageElement || el instanceof HTMLAreaElement) {
      const alt = el.getAttribute('alt');
      if (alt) return alt;
    }
    if (el instanceof HTMLTableElement && el.caption) {
      const caption = fromContent(el.caption, includeHidden, visited);
      if (normalize(caption)) return caption;
    }
    if (el instanceof HTMLFieldSetElement) {
      const legend = el.querySelector(':scope > legend');
      if (legend) return fromContent(legend, includeHidden, visited);
    }
    const r = role(el);
    if (inContent || (r !== null && NAME_FROM_CONTENT.has(r))) {
      const text = fromContent(el, includeHidden, visited);
      if (normalize(text)) return text;
    }
    return el.getAttribute('title') ?? el.getAttribute('placeholder') ?? '';
  };

  const accessibleName = (el: Element, includeHidden = false): string => normalize(nameOf(el, includeHidden, new Set()));

  /** What getByLabel matches against: aria-labelledby text, aria-label, or the control's labels. */
  const labelsOf = (el: Element): string[] => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) return byId(el, labelledBy).map(elementText);
    const ariaLabel = el.getAttribute('aria-label');
    if (ariaLabel && ariaLabel.trim()) return [ariaLabel];
    const labelable = ['BUTTON', 'METER', 'OUTPUT', 'PROGRESS', 'SELECT', 'TEXTAREA'].includes(el.nodeName) || (el instanceof HTMLInputElement && el.type !== 'hidden');
    return labelable ? [...((el as HTMLInputElement).labels ?? [])].map(elementText) : [];
  };

  /** getByText: the deepest elements whose text matches (Playwright's lax and strict text engine). */
  const byText = (scope: Element | Document, want: string | RegExp, exact: boolean): Element[] => {
    const match = matcher(want, exact);
    const candidates = scope instanceof Element ? [scope, ...descendants(scope)] : descendants(scope);
    return candidates.filter((el) => {
      if (skipForText(el) || !match(elementText(el))) return false;
      for (const child of el.children) if (match(elementText(child))) return false;
      return !(el.shadowRoot && match(elementText(el.shadowRoot)));
    });
  };

  const step = (scopes: (Element | Document)[], s: Step): Element[] => {
    if ('nth' in s) {
      const el = scopes.at(s.nth);
      return el instanceof Element ? [el] : [];
    }
    const elements = scopes.filter((e): e is Element => e instanceof Element);
    if ('hasText' in s) return elements.filter((el) => matcher(s.hasText)(elementText(el)));
    if ('hasNotText' in s) return elements.filter((el) => !matcher(s.hasNotText)(elementText(el)));
    const found = new Set<Element>();
    for (const scope of scopes) {
      let matched: Element[];
      if ('css' in s) matched = descendants(scope).filter((el) => el.matches(s.css));
      else if ('text' in s) matched = byText(scope, s.text, s.exact ?? false);
      else if ('label' in s) {
        const match = matcher(s.label, s.exact ?? false);
        matched = descendants(scope).filter((el) => labelsOf(el).some(match));
      } else {
        const match = s.name === undefined ? () => true : matcher(s.name, s.exact ?? false);
        matched = descendants(scope).filter((el) => role(el) === s.role && (s.includeHidden || !hiddenForAria(el)) && match(accessibleName(el, s.includeHidden)));
      }
      for (const el of matched) found.add(el);
    }
    return [...found];
  };

  /** The elements a locator's steps resolve to, in document order. */
  const query = (steps: Step[]): Element[] => {
    let found: (Element | Document)[] = [document];
    for (const s of steps) found = step(found, s);
    return found.filter((e): e is Element => e instanceof Element);
  };

  const activeElement = (): Element | null => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a;
  };

  const isDisabled = (el: Element): boolean => {
    if (el.matches(':disabled')) return true;
    for (let e: Element | null = el; e; e = composedParent(e)) if (e.getAttribute('aria-disabled') === 'true') return true;
    return false;
  };

  const isChecked = (el: Element): boolean | 'mixed' => {
    if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) return el.indeterminate ? 'mixed' : el.checked;
    const aria = el.getAttribute('aria-checked');
    if (aria === 'mixed') return 'mixed';
    if (aria === 'true' || aria === 'false') return aria === 'true';
    throw new Error('Not a checkbox or radio button');
  };

  return { query, elementText, isVisible, isDisabled, isChecked, activeElement, accessibleName, role, normalize };
}
