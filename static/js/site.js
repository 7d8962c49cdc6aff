// Small progressive enhancements; the site works without them.
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
        messages.push("Caps Lock is on — passwords are case sensitive.");
      }
      if (input.value && input.value !== input.value.trim()) {
        messages.push("Your password starts or ends with a space. It will be used exactly as typed.");
      }
      note.textContent = messages.join(" ");
    }
    input.addEventListener("keyup", update);
    input.addEventListener("keydown", update);
    input.addEventListener("input", function () { update(null); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('input[type="password"]').forEach(watchPassword);
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
