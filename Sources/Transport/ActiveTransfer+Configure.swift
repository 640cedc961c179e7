// Sets the easy-handle options for one transfer. Every option that points at memory we own
// (error buffer, post body, slists, the Unmanaged self pointer) stays valid until `release()`.
import CCurl

extension ActiveTransfer {
    /// Applies the payload's options; returns the first failing CURLcode, or CURLE_OK.
    func configure() -> CURLcode {
        var options = OptionWriter(handle: easy.raw)
        let me = Unmanaged.passUnretained(self).toOpaque()
        options.pointer(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(easy.errorBuffer))
        options.pointer(CURLOPT_PRIVATE, me)
        options.long(CURLOPT_NOSIGNAL, 1)
        options.long(CURLOPT_SSL_VERIFYPEER, 1)
        options.long(CURLOPT_SSL_VERIFYHOST, 2)
        options.long(CURLOPT_TCP_KEEPALIVE, 1)
        options.pointer(CURLOPT_WRITEDATA, me)
        options.pointer(CURLOPT_HEADERDATA, me)
        options.check(cs_curl_easy_setopt_write_callback(easy.raw) { data, size, count, user in
            guard let user else { return 0 }
            let t = Unmanaged<ActiveTransfer>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            guard n > 0, let data else { return n }
            return t.receive(UnsafeRawBufferPointer(start: data, count: n)) ? n : 0
        })
        options.check(cs_curl_easy_setopt_header_callback(easy.raw) { data, size, count, user in
            let n = size * count
            guard let user, let data, n > 0 else { return n }
            let t = Unmanaged<ActiveTransfer>.fromOpaque(user).takeUnretainedValue()
            t.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: n))
            return n
        })
        switch ticket.payload {
        case .http(let request): configureHTTP(request, &options)
        case .smtp(let mail): configureSMTP(mail, &options, me)
        }
        return options.firstError
    }

    private func configureHTTP(_ r: HTTPRequest, _ o: inout OptionWriter) {
        o.string(CURLOPT_URL, r.url)
        o.string(CURLOPT_PROTOCOLS_STR, "http,https")
        o.long(CURLOPT_CONNECTTIMEOUT_MS, r.connectTimeout.curlMilliseconds)
        o.long(CURLOPT_TIMEOUT_MS, r.timeout.curlMilliseconds)
        o.long(CURLOPT_FOLLOWLOCATION, r.followRedirects ? 1 : 0)
        if r.followRedirects {
            o.long(CURLOPT_MAXREDIRS, r.maxRedirects)
            o.string(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        }
        if let ca = r.caBundlePath { o.string(CURLOPT_CAINFO, ca) }
        maxResponseBytes = r.maxResponseBytes

        var lines = r.headers.map { "\($0.name): \($0.value)" }
        // curl would otherwise invent these: a 100-continue round trip for bodies over 1 KiB,
        // and a form-urlencoded type for bodies the caller did not label.
        if !r.headers.contains("Expect") { lines.append("Expect:") }
        if !r.headers.contains("Content-Type") { lines.append("Content-Type:") }
        if !r.headers.contains("User-Agent") { lines.append("User-Agent: cs-worker") }
        if let list = makeSlist(lines) { o.slist(CURLOPT_HTTPHEADER, list) }

        let method = r.method
        if method == .head {
            o.long(CURLOPT_NOBODY, 1)
        } else if method == .get && r.body.isEmpty {
            o.long(CURLOPT_HTTPGET, 1)
        } else if method == .post || !r.body.isEmpty {
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(r.body.count, 1))
            _ = buffer.initialize(from: r.body)
            postBody = buffer
            o.off_t(CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.count))
            o.pointer(CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(buffer.baseAddress))
            if method != .post { o.string(CURLOPT_CUSTOMREQUEST, method.rawValue) }
        } else {
            o.string(CURLOPT_CUSTOMREQUEST, method.rawValue)
        }
    }

    private func configureSMTP(_ m: SMTPRequest, _ o: inout OptionWriter, _ me: UnsafeMutableRawPointer) {
        var url = m.url
        if let helo = m.heloName {
            while url.hasSuffix("/") { url.removeLast() }
            url += "/" + helo
        }
        o.string(CURLOPT_URL, url)
        o.string(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        // One connection per message. After a refused transaction (a 4xx/5xx at end of data)
        // libcurl keeps the session without RSET, and the next MAIL on it gets "503 nested
        // MAIL command": a reused connection would turn one refusal into several.
        o.long(CURLOPT_FORBID_REUSE, 1)
        o.long(CURLOPT_CONNECTTIMEOUT_MS, m.connectTimeout.curlMilliseconds)
        o.long(CURLOPT_TIMEOUT_MS, m.timeout.curlMilliseconds)
        // STARTTLS: mandatory when asked, otherwise opportunistic (used when offered).
        o.long(CURLOPT_USE_SSL, Int(m.requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        if let ca = m.caBundlePath { o.string(CURLOPT_CAINFO, ca) }
        if let user = m.username { o.string(CURLOPT_USERNAME, user) }
        if let password = m.password { o.string(CURLOPT_PASSWORD, password) }
        o.string(CURLOPT_MAIL_FROM, "<\(m.mailFrom)>")
        if let list = makeSlist(m.recipients.map { "<\($0)>" }) { o.slist(CURLOPT_MAIL_RCPT, list) }
        upload = m.message
        uploadOffset = 0
        o.long(CURLOPT_UPLOAD, 1)
        o.off_t(CURLOPT_INFILESIZE_LARGE, curl_off_t(m.message.count))
        o.pointer(CURLOPT_READDATA, me)
        o.check(cs_curl_easy_setopt_read_callback(easy.raw) { buffer, size, count, user in
            guard let user, let buffer else { return 0 }
            let t = Unmanaged<ActiveTransfer>.fromOpaque(user).takeUnretainedValue()
            return t.fill(buffer, capacity: size * count)
        })
    }

    /// Builds a curl_slist and records it for freeing; nil for an empty list.
    private func makeSlist(_ items: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let next = curl_slist_append(list, item) else { continue }
            list = next
        }
        if let list { slists.append(list) }
        return list
    }
}
