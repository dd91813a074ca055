// Pages that stay alive: while the tab is visible, ask /live every few seconds whether
// anything changed; when it did, fetch this page again and swap the contents of
// <main id="main"> in place (no reload), keeping the scroll position and announcing
// "Updated" to screen readers. Never while the person is in the middle of something
// (typing, a changed field, a <details> they opened, a text selection): it waits.
//
// <body data-live="off"> opts a page out; data-live-every="500" polls every 500 ms
// (default 5000; tests use it). After a swap, a "baton:updated" event is sent on
// document so a page's own script can bind its new elements.
"use strict";

(() => {
  const body = document.body;
  const main = document.getElementById("main");
  if (!body || !main || !window.fetch || !window.DOMParser) return;

  const DEFAULT_EVERY = 5000;
  const FOLLOW_UP = 2000; // the board's listings (Temporal visibility) lag a change
  let stamp = null; // the last one seen; null until the first answer
  let owed = false; // a change not shown yet (the person was busy)
  let timer = null;
  let asking = false;

  const enabled = () => body.dataset.live !== "off";
  const every = () => Number(body.dataset.liveEvery) || DEFAULT_EVERY;
  const visible = () => document.visibilityState === "visible";

  // -- the person is in the middle of something

  function defaultIndex(select) {
    const index = Array.from(select.options).findIndex((option) => option.defaultSelected);
    return index === -1 ? 0 : index;
  }

  function edited(field) {
    if (field.type === "hidden" || field.disabled) return false;
    if (field.tagName === "SELECT") {
      if (field.multiple) {
        return Array.from(field.options).some((o) => o.selected !== o.defaultSelected);
      }
      return field.options.length > 0 && field.selectedIndex !== defaultIndex(field);
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    return field.value !== field.defaultValue;
  }

  // The <details> the page came with open: one the person opened (or closed) is in use.
  let openedByPage = new WeakSet();
  const rememberDetails = () => {
    openedByPage = new WeakSet(main.querySelectorAll("details[open]"));
  };
  const toggled = (details) => details.open !== openedByPage.has(details);

  function selecting() {
    const selection = window.getSelection();
    return Boolean(
      selection && !selection.isCollapsed && main.contains(selection.anchorNode),
    );
  }

  function busy() {
    const active = document.activeElement;
    if (active && main.contains(active) && active.matches("input, textarea, select")) {
      return true;
    }
    if (Array.from(main.querySelectorAll("details")).some(toggled)) return true;
    if (Array.from(main.querySelectorAll("input, textarea, select")).some(edited)) return true;
    return selecting();
  }

  // -- swapping <main>

  const FOCUSABLE = "a[href], button, summary, [tabindex]";

  function focusedIndex() {
    const active = document.activeElement;
    if (!active || !main.contains(active)) return -1;
    return Array.from(main.querySelectorAll(FOCUSABLE)).indexOf(active);
  }

  function announce(text) {
    const region = document.getElementById("live-status");
    if (!region) return;
    region.textContent = "";
    // A new text node a moment later, so the same words are announced again.
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // What a page shows, less its flash message and the forms' tokens (which may differ
  // from one answer to the next): nothing to swap when that is the same.
  function shown(element) {
    const copy = element.cloneNode(true);
    const flash = copy.querySelector(":scope > .flash");
    if (flash) flash.remove();
    return copy.innerHTML.replace(/name="csrf" value="[^"]*"/g, "");
  }

  function swap(fresh, title) {
    const flash = main.querySelector(":scope > .flash");
    const keepFlash = flash && !fresh.querySelector(":scope > .flash");
    const focused = focusedIndex();
    const x = window.scrollX;
    const y = window.scrollY;
    main.replaceChildren(...Array.from(fresh.childNodes));
    if (keepFlash) main.prepend(flash); // the answer to what the person just did
    rememberDetails();
    if (title) document.title = title;
    if (focused !== -1) {
      const again = main.querySelectorAll(FOCUSABLE)[focused];
      if (again) again.focus({ preventScroll: true });
    }
    window.scrollTo(x, y);
    announce("Updated");
    document.dispatchEvent(new CustomEvent("baton:updated"));
  }

  async function refresh() {
    if (!owed || busy()) return;
    owed = false;
    let response;
    try {
      response = await fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
    } catch {
      owed = true; // offline for a moment: try at the next tick
      return;
    }
    if (response.redirected || response.status >= 500) return; // signed out, or a fault
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("main");
    if (!fresh) return;
    if (busy()) {
      owed = true; // the person started something while the page was on its way
      return;
    }
    if (shown(fresh) !== shown(main)) swap(fresh, doc.title);
  }

  // -- asking /live

  async function askStamp() {
    try {
      const response = await fetch("/live", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (response.redirected) return undefined; // to the sign-in page: signed out
      if (!response.ok) return null;
      return (await response.json()).stamp;
    } catch {
      return null; // unreachable for a moment: ask again later
    }
  }

  function changed() {
    owed = true;
    refresh();
    window.setTimeout(() => {
      owed = true;
      refresh();
    }, FOLLOW_UP);
  }

  async function tick() {
    timer = null;
    if (!enabled() || !visible() || asking) return;
    asking = true;
    const next = await askStamp();
    asking = false;
    if (next === undefined) return; // signed out: nothing more to watch
    if (next !== null) {
      if (stamp !== null && next !== stamp) changed();
      stamp = next;
      body.dataset.liveStamp = stamp;
    }
    if (owed) await refresh();
    schedule();
  }

  function schedule() {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    if (enabled() && visible()) timer = window.setTimeout(tick, every());
  }

  document.addEventListener("visibilitychange", () => {
    if (visible() && timer === null && !asking) tick();
  });
  new MutationObserver(schedule).observe(body, {
    attributes: true,
    attributeFilter: ["data-live", "data-live-every"],
  });
  rememberDetails();
  tick();
})();
