// Progressive enhancement only: every page works without this file.
(function () {
  // Show only the villages of the chosen township.
  document.querySelectorAll('select[data-village-filter]').forEach(function (town) {
    var village = document.getElementById(town.dataset.villageFilter);
    if (!village) return;
    function apply() {
      var t = town.value;
      Array.prototype.forEach.call(village.options, function (o) {
        if (!o.value) return;
        var show = !t || o.dataset.township === t;
        o.hidden = !show;
        o.disabled = !show;
        if (!show && o.selected) village.value = '';
      });
    }
    town.addEventListener('change', apply);
    apply();
  });
  // A form marked data-once submits once, however often the button is clicked.
  document.querySelectorAll('form[data-once]').forEach(function (f) {
    f.addEventListener('submit', function (e) {
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = '1';
    });
  });
    // The bell's unread count, refreshed every minute without reloading the page.
  var bell = document.querySelector('[data-unread]');
  if (bell) {
    var refresh = function () {
      fetch('/staff/notices/count', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          bell.textContent = j.unread > 99 ? '99+' : String(j.unread);
          bell.hidden = j.unread === 0;
        })
        .catch(function () {});
    };
    refresh();
    setInterval(refresh, 60000);
  }
    // Each work queue's count, in the navigation and on the inbox's tabs.
  var counted = document.querySelectorAll('[data-queue-count]');
  if (counted.length) {
    var queues = function () {
      fetch('/staff/queues', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          counted.forEach(function (el) {
            var n = j[el.dataset.queueCount];
            if (typeof n !== 'number') return;
            el.textContent = n > 999 ? '999+' : String(n);
            el.hidden = n === 0;
          });
        })
        .catch(function () {});
    };
    queues();
    setInterval(queues, 60000);
  }
  // Keyboard shortcuts: an element with data-shortcut="x" is focused (inputs) or followed (links).
  document.addEventListener('keydown', function (e) {
    var tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || e.ctrlKey || e.metaKey || e.altKey) return;
    var el = document.querySelector('[data-shortcut="' + e.key + '"]');
    if (!el) return;
    e.preventDefault();
    if (el.tagName.toLowerCase() === 'a') { window.location = el.href; } else { el.focus(); }
  });
})();
