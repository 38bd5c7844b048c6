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
    // Copy buttons (the number and tracking code read to a caller).
  document.querySelectorAll('button[data-copy]').forEach(function (b) {
    b.addEventListener('click', function () {
      if (navigator.clipboard) navigator.clipboard.writeText(b.dataset.copy).catch(function () {});
    });
  });
  // The caller's history as their phone is typed (debounced, POSTed so the number
  // stays out of URLs); nothing typed in the form is touched.
  var phone = document.querySelector('form[data-test="intake-form"] input[name="phone"]');
  var panel = document.querySelector('[data-caller-history]');
  if (phone && panel) {
    var timer = null, last = '';
    var text = function (tag, value, cls) {
      var el = document.createElement(tag);
      if (cls) el.className = cls;
      el.textContent = value;
      return el;
    };
    var show = function (j) {
      panel.textContent = '';
      if (j.repeat) { var r = text('p', j.repeat, 'banner warn'); r.dataset.test = 'caller-repeat'; panel.appendChild(r); }
      if (j.concluded_warning) {
        var c = text('p', j.concluded_warning + ' ', 'banner warn');
        c.dataset.test = 'caller-concluded';
        j.concluded.forEach(function (no) { var a = text('a', no); a.href = '/staff/appeals/' + no; c.appendChild(a); });
        panel.appendChild(c);
      }
      if (!j.appeals.length) { var n = text('p', j.none, 'muted'); n.dataset.test = 'no-history'; panel.appendChild(n); return; }
      var ul = document.createElement('ul');
      ul.className = 'history';
      ul.dataset.test = 'caller-history';
      j.appeals.forEach(function (h) {
        var li = document.createElement('li');
        var a = text('a', h.no); a.href = '/staff/appeals/' + h.no; li.appendChild(a);
        li.appendChild(document.createTextNode(' ' + [h.received, h.category, h.title, h.status].join(' · ') + ' '));
        if (h.open) {
          var f = document.createElement('form');
          f.method = 'post'; f.action = '/staff/appeals/' + h.no + '/follow-up'; f.className = 'inline';
          f.dataset.test = 'urge-form';
          var i = document.createElement('input'); i.name = 'note'; i.required = true; i.maxLength = 5000;
          i.placeholder = j.urge_note; i.setAttribute('aria-label', j.urge_note);
          var b = text('button', j.urge); b.type = 'submit'; b.dataset.test = 'urge';
          f.appendChild(i); f.appendChild(b); li.appendChild(f);
        }
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    };
    var look = function () {
      var v = phone.value.replace(/[^0-9+]/g, '');
      if (v.length < 7 || v === last) return;
      last = v;
      fetch('/staff/callers.json', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'phone=' + encodeURIComponent(phone.value)
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j) show(j); })
        .catch(function () {});
    };
    phone.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(look, 400); });
  }
  // Searchable pickers: a select marked data-searchable gets a box before it; typing two
  // or three characters keeps only the options that contain them.
  document.querySelectorAll('select[data-searchable]').forEach(function (sel) {
    var box = document.createElement('input');
    box.type = 'search';
    box.placeholder = sel.dataset.searchable;
    box.setAttribute('aria-label', sel.dataset.searchable);
    box.className = 'picker';
    box.dataset.test = 'picker-' + (sel.name || sel.id);
    sel.parentNode.insertBefore(box, sel);
    box.addEventListener('input', function () {
      var q = box.value.trim();
      var first = null;
      Array.prototype.forEach.call(sel.options, function (o) {
                if (!o.value) return;
        var match = !q || o.text.indexOf(q) >= 0;
        if (!match && !o.hidden) { o.hidden = true; o.dataset.pickHidden = '1'; }
        else if (match && o.dataset.pickHidden) { o.hidden = false; delete o.dataset.pickHidden; }
        if (match && !o.hidden && !first) first = o;
      });
            var current = sel.options[sel.selectedIndex];
      if (q && first && (!current || !current.value || current.hidden)) {
        sel.value = first.value;
        sel.dispatchEvent(new Event('change', { bubbles: true }));
      }
    });
  });
    // A kept answer chosen fills the reply, to be edited before sending.
  document.querySelectorAll('select[data-fill]').forEach(function (sel) {
    sel.addEventListener('change', function () {
      var box = sel.form && sel.form.querySelector('textarea[name="' + sel.dataset.fill + '"]');
      if (box && sel.value) { box.value = sel.value; box.focus(); }
    });
  });
    // Dense mode: on by default for call-takers, switched per browser.
  var dense = document.querySelector('[data-dense-toggle]');
  if (dense) {
    var stored = null;
    try { stored = localStorage.getItem('minsheng-dense'); } catch (e) {}
    var on = stored === null ? dense.dataset.denseDefault === '1' : stored === '1';
    document.body.classList.toggle('dense', on);
    dense.setAttribute('aria-pressed', on ? 'true' : 'false');
    dense.addEventListener('click', function () {
      on = !on;
      document.body.classList.toggle('dense', on);
      dense.setAttribute('aria-pressed', on ? 'true' : 'false');
      try { localStorage.setItem('minsheng-dense', on ? '1' : '0'); } catch (e) {}
    });
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
