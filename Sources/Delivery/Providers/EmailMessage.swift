// EmailMessage: renders a delivery as an RFC 5322 message for SMTP — headers, a Message-ID
// derived from the idempotency key (stable across retries), multipart/alternative with
// quoted-printable parts, CRLF everywhere, every line well under 998 octets.
import Foundation

enum EmailMessage {
    /// The message bytes, ready for `SMTPRequest.message`.
    static func render(channel: Channel, message: OutboundMessage, now: Date = Date()) throws -> [UInt8] {
        let to = try message.emailRecipients(channel: channel)
        let from = try channel.fromAddress()
        var headers: [String] = [
            "Date: " + MIMEEncoding.date(now),
            "From: " + MIMEEncoding.mailbox(name: channel.option("from_name"), address: from),
            "To: " + to.joined(separator: ", "),
            "Subject: " + MIMEEncoding.headerText(message.subject ?? ""),
            "Message-ID: " + messageID(message, from: from, channel: channel),
            "MIME-Version: 1.0",
        ]
        var body: String
        let textPart = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + MIMEEncoding.quotedPrintable(message.text)
        if let html = message.html, !html.isEmpty {
            let boundary = "=_cs_" + String(message.keyHash.prefix(24))
            headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body = "This is a multipart message in MIME format.\r\n"
                + "--\(boundary)\r\n" + textPart + "\r\n"
                + "--\(boundary)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + MIMEEncoding.quotedPrintable(html) + "\r\n"
                + "--\(boundary)--\r\n"
        } else {
            headers.append("Content-Type: text/plain; charset=utf-8")
            headers.append("Content-Transfer-Encoding: quoted-printable")
            body = MIMEEncoding.quotedPrintable(message.text) + "\r\n"
        }
        return Array((headers.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    /// `<hash-of-idempotency-key@domain>`: the same on every retry, so a receiving system that
    /// de-duplicates on Message-ID sees one message.
    static func messageID(_ message: OutboundMessage, from: String, channel: Channel) -> String {
        let domain = channel.option("message_id_domain")
            ?? from.split(separator: "@").last.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            ?? "cs-worker.invalid"
        return "<\(message.keyHash.prefix(40))@\(domain)>"
    }
}
