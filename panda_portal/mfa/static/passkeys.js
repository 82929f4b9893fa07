// Passkeys: a form marked data-passkey="create" or "get" asks the browser's WebAuthn for a
// passkey when submitted, puts the answer (JSON) in its passkey_response field and sends it.
// The options come from the page (a JSON data block named by data-passkey-options), or from
// data-passkey-options-url. A form marked data-passkey-reveal is hidden until the browser can do it.
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    });
  }

  function asJSON(credential) {
    var response = credential.response;
    var answer = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      answer.response.attestationObject = toBase64url(response.attestationObject);
      answer.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.response.authenticatorData = toBase64url(response.authenticatorData);
      answer.response.signature = toBase64url(response.signature);
      answer.response.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
    }
    return JSON.stringify(answer);
  }

  // The options: from the page's data block, or (data-passkey-options-url: a sign-in without a
  // password) fetched when the button is pressed, with the form's CSRF token.
  function optionsFor(form) {
    if (!form.dataset.passkeyOptionsUrl) {
      return Promise.resolve(JSON.parse(document.getElementById(form.dataset.passkeyOptions).textContent));
    }
    return fetch(form.dataset.passkeyOptionsUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("no options");
      return response.json();
    });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var problem = form.querySelector(".passkey-problem");
    if (!window.PublicKeyCredential) {
      if (problem) problem.hidden = false;
      return;
    }
    if (form.hasAttribute("data-passkey-reveal")) form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (form.dataset.answered === "yes") return;
      event.preventDefault();
      if (!form.reportValidity()) return;
      if (problem) problem.hidden = true;
      var asking = optionsFor(form).then(function (options) {
        return form.dataset.passkey === "create"
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      });
      asking.then(function (credential) {
        form.querySelector("input[name=passkey_response]").value = asJSON(credential);
        form.dataset.answered = "yes";
        form.submit();
      }).catch(function () {
        if (problem) problem.hidden = false;
      });
    });
  });
})();
