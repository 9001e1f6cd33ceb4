// The pages' only script: passkey buttons (WebAuthn needs the browser's API). Every element with
// `data-passkey` is a button group that is shown only when the browser can use passkeys.
// data-passkey: "register" (a name input, then navigator.credentials.create),
// "signin" or "mfa" (navigator.credentials.get); data-options / data-verify: the page's JSON routes;
// data-csrf: the page's CSRF token; data-next: where to go once it worked (or the answer's `next`).
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  var alertBox = document.getElementById('passkey-alert');
  var messages = alertBox ? alertBox.dataset : {};

  function show(message) {
    if (!alertBox) return;
    alertBox.textContent = message;
    alertBox.hidden = false;
  }

  // A first second factor brings recovery codes: shown here once, never put in a URL.
  function showCodes(codes) {
    var section = document.getElementById('passkey-codes');
    var list = section.querySelector('ol');
    codes.forEach(function (code) {
      var item = document.createElement('li');
      item.textContent = code;
      list.appendChild(item);
    });
    section.hidden = false;
  }

  async function post(url, body) {
    var response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    var answer = await response.json().catch(function () {
      return {};
    });
    if (!response.ok) throw Object.assign(new Error(answer.message || String(response.status)), { answer: answer });
    return answer;
  }

  async function run(group) {
    var kind = group.dataset.passkey;
    var csrf = group.dataset.csrf;
    var options = await post(group.dataset.options, { _csrf: csrf });
    var response;
    try {
      response =
        kind === 'register'
          ? await webauthn.startRegistration({ optionsJSON: options })
          : await webauthn.startAuthentication({ optionsJSON: options });
    } catch (error) {
      // The user closed the dialog, or the authenticator timed out: nothing was sent.
      show(messages.cancelled || error.message);
      return;
    }
    var body = { _csrf: csrf, response: response };
    if (kind === 'register') body.name = group.querySelector('input').value;
    var answer = await post(group.dataset.verify, body);
    if (answer.recoveryCodes) return showCodes(answer.recoveryCodes);
    window.location.assign(answer.next || group.dataset.next);
  }

  document.querySelectorAll('[data-passkey]').forEach(function (group) {
    if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
      show(messages.unsupported || 'Passkeys are not supported here.');
      return;
    }
    group.hidden = false;
    group.querySelector('button').addEventListener('click', function () {
      if (alertBox) alertBox.hidden = true;
      run(group).catch(function (error) {
        show(error.message);
      });
    });
  });
})();
