// Small progressive enhancements; the site works without them.
// Texts go through Django's JavaScript catalogue (/jsi18n/, loaded before this file) when present.
if (!window.gettext) {  // no catalogue (e.g. a saved page): the English texts as written
  window.gettext = function (text) { return text; };
  window.ngettext = function (one, many, n) { return n === 1 ? one : many; };
  window.interpolate = function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  };
}
(function () {
  // ACC-1: warn about Caps Lock and leading/trailing spaces in password fields (never trim).
  function watchPassword(input) {
    var note = document.createElement("p");
    note.className = "field-hint warning";
    note.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", note);
    function update(event) {
      var messages = [];
      if (event && event.getModifierState && event.getModifierState("CapsLock")) {
        messages.push(gettext("Caps Lock is on — passwords are case sensitive."));
      }
      if (input.value && input.value !== input.value.trim()) {
        messages.push(gettext("Your password starts or ends with a space. It will be used exactly as typed."));
      }
      note.textContent = messages.join(" ");
    }
    input.addEventListener("keyup", update);
    input.addEventListener("keydown", update);
    input.addEventListener("input", function () { update(null); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('input[type="password"]').forEach(function (input) {
      // forms with their own translated warnings (the sign-in form) are wired below
      if (!input.closest("form[data-password-warnings]")) watchPassword(input);
    });
    // Variant picker on the product page: show the price and stock of the chosen variant.
    document.querySelectorAll("[data-variant-picker]").forEach(function (select) {
      function show() {
        var option = select.options[select.selectedIndex];
        var price = document.querySelector("[data-variant-price]");
        var stock = document.querySelector("[data-variant-stock]");
        if (price && option.dataset.price) price.textContent = option.dataset.price;
        if (stock && option.dataset.stock !== undefined) stock.textContent = option.dataset.stock;
      }
      select.addEventListener("change", show);
    });
  });
})();

// Deadlines (ORD-4, ORD-5, BP-1): <time data-local-time datetime="…"> shows the instant in the
// reader's time zone; <time data-countdown datetime="…" data-now="…"> ticks down every second.
// data-now is the server's clock when the page was drawn (it may be a demo clock), so the
// countdown follows the site's time, not the device's. Without JavaScript the server's text stays.
(function () {
  if (window.haCountdowns) return;
  window.haCountdowns = true;
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function remaining(seconds) {
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600),
        m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var values = {d: d, h: h, m: two(m), s: two(s), min: m};
    if (d > 0) {
      return interpolate(ngettext("%(d)s day %(h)s h %(m)s min left", "%(d)s days %(h)s h %(m)s min left", d),
                           values, true);
    }
    if (h > 0) return interpolate(gettext("%(h)s h %(m)s min %(s)s s left"), values, true);
    return interpolate(gettext("%(min)s min %(s)s s left"), values, true);
  }
  function localTimes(root) {
    root.querySelectorAll("time[data-local-time]:not([data-localised])").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.setAttribute("data-localised", "");
      el.title = el.textContent;  // the UTC text stays available on hover
      el.textContent = at.toLocaleString(undefined, {
        weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      });
    });
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      if (el.haSkew === undefined) {
        var serverNow = Date.parse(el.getAttribute("data-now") || "");
        el.haSkew = isNaN(serverNow) ? 0 : serverNow - Date.now();
      }
      var left = Math.floor((due - (Date.now() + el.haSkew)) / 1000);
      var text = left > 0 ? remaining(left) : (el.getAttribute("data-passed") || gettext("passed"));
      if (el.textContent !== text) el.textContent = text;
      var box = el.closest(".deadline");
      if (box) box.classList.toggle("overdue", left <= 0);
    });
  }
  // Seller's tracking form: a datetime-local is the device's wall clock; send its UTC offset.
  function timeZones(root) {
    root.querySelectorAll("input[data-tz-offset]").forEach(function (input) {
      var form = input.form, hint = form && form.querySelector("[data-tz-hint]");
      input.value = String(new Date().getTimezoneOffset());
      if (hint) {
        var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone || "").replace(/_/g, " ");
        hint.textContent = zone
          ? interpolate(gettext("Date and time of the scan, in your time zone (%(zone)s)."), {zone: zone}, true)
          : gettext("Date and time of the scan, in your time zone.");
      }
    });
  }
  // The offset of the entered date itself (summer time may differ from today's).
  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector && event.target.querySelector("input[data-tz-offset]");
    var local = input && event.target.querySelector('input[type="datetime-local"]');
    if (local && local.value) {
      var at = new Date(local.value);
      if (!isNaN(at)) input.value = String(at.getTimezoneOffset());
    }
  }, true);
  function enhance(root) { localTimes(root); timeZones(root); }
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); tick(); });
})();

// The demo clock page: <time data-site-clock datetime="…" data-now="…"> shows the site's time
// (which may run ahead of real time) ticking every second, in UTC. Without JavaScript the
// server's text stays.
(function () {
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    document.querySelectorAll("time[data-site-clock]").forEach(function (el) {
      var base = Date.parse(el.getAttribute("data-now"));
      if (isNaN(base)) return;
      if (el.haSince === undefined) el.haSince = Date.now();
      var at = new Date(base + Date.now() - el.haSince);
      var days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
      var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
      el.textContent = days[at.getUTCDay()] + " " + at.getUTCDate() + " " + months[at.getUTCMonth()] + " " +
        at.getUTCFullYear() + ", " + two(at.getUTCHours()) + ":" + two(at.getUTCMinutes()) + ":" + two(at.getUTCSeconds());
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); window.setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();

// ACC-1: the sign-in form warns while Caps Lock is on and when the password starts or ends with a
// space. The password itself is never changed: it is sent exactly as typed.
(function () {
  function wire(form) {
    var password = form.querySelector("input[type=password]");
    var caps = form.querySelector("[data-caps-lock-warning]");
    var space = form.querySelector("[data-password-space-warning]");
    if (!password) return;
    var described = [password.getAttribute("aria-describedby"), caps && caps.id, space && space.id]
      .filter(Boolean).join(" ");
    password.setAttribute("aria-describedby", described);
    function checkCaps(event) {
      if (!caps || !event.getModifierState) return;
      caps.hidden = !event.getModifierState("CapsLock");
    }
    function checkSpaces() {
      if (!space) return;
      var value = password.value;
      space.hidden = !(value.length > 0 && (/^\s/.test(value) || /\s$/.test(value)));
    }
    password.addEventListener("keydown", checkCaps);
    password.addEventListener("keyup", checkCaps);
    password.addEventListener("input", checkSpaces);
    password.addEventListener("blur", function () { if (caps) caps.hidden = true; });
    checkSpaces();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-password-warnings]").forEach(wire);
  });
})();
