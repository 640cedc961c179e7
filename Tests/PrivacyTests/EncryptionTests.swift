// PII at rest: with a public key installed, contacts written with plain SQL are encrypted by
// the database itself; a full dump holds none of their names, e-mails or phones; the worker's
// private key decrypts for export and erasure; a missing or wrong key is a clear error; a key
// rotation re-encrypts everyone.
import Foundation
import PG
import Privacy
import Testing
import TestSupport

/// A throwaway OpenPGP key pair made with gpg (Debian's gnupg) in a private home.
struct TestKeyPair {
    let publicKey: String
    let privateKey: String

    static func make(_ name: String) throws -> TestKeyPair {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("gpg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: home) }
        func gpg(_ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/gpg")
            p.arguments = ["--homedir", home.path, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw TestSetupError("gpg \(args.first ?? "") failed: install gnupg (ops/install-deps.sh --tests)") }
            return String(decoding: data, as: UTF8.self)
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gpg") else { throw TestSetupError("gpg is missing: ops/install-deps.sh --tests installs gnupg") }
        // pgcrypto encrypts to an RSA encryption subkey: a certifying primary key and one subkey.
        _ = try gpg(["--quick-gen-key", "\(name) <\(name)@cs-worker.test>", "rsa2048", "cert", "never"])
        let listing = try gpg(["--with-colons", "--list-keys", name])
        guard let fpr = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first else {
            throw TestSetupError("gpg listed no fingerprint")
        }
        _ = try gpg(["--quick-add-key", String(fpr), "rsa2048", "encr", "never"])
        return TestKeyPair(publicKey: try gpg(["--armor", "--export", name]), privateKey: try gpg(["--armor", "--export-secret-keys", name]))
    }
}

@Suite(.serialized) struct EncryptionTests {
    @Test func contactsAreEncryptedAtRestAndOnlyThePrivateKeyReadsThem() async throws {
        let first = try TestKeyPair.make("first"), second = try TestKeyPair.make("second")
        try await TestDatabase.with { db in
            let d = db.database
            let requests = PrivacyRequests(database: d, logger: TestEnvironment.logger)
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'Plain Venue Ltd', now())")
            // A contact from before the key: encrypted when the key is installed.
            try await d.execute("INSERT INTO cs.contacts (id, account_id, name, email, phone) VALUES (1, 1, 'Early Esmeralda', 'early-8842@example.test', '+44 7700 900842')")
            #expect(try await requests.rotateKey(publicKey: first.publicKey, previous: nil, actor: "test") == 1)
            // The host application writes plain SQL as before.
            try await d.execute("INSERT INTO cs.contacts (id, account_id, name, email, phone) VALUES (2, 1, 'Octavia Brightwater', 'octavia-5521@example.test', '+44 7700 900552')")
            try await d.execute("UPDATE cs.contacts SET email = 'octavia-new-5521@example.test' WHERE id = 2")
            let secrets = ["Early Esmeralda", "early-8842@example.test", "+44 7700 900842", "Octavia Brightwater",
                           "octavia-5521@example.test", "octavia-new-5521@example.test", "+44 7700 900552"]
            let dump = try ErasureTests.dump(db.url)
            for v in secrets { #expect(!dump.contains(v), "\(v) is not in the dump") }

            // Only the private key reads them; none, or the wrong one, is a clear error.
            let key = PIIKey(armored: first.privateKey)
            let rows = try await d.query("SELECT name, email FROM cs.contact_pii(ARRAY[1, 2]::bigint[], $1)", [first.privateKey])
            #expect(try rows.map { try $0.decode(String.self, 0) } == ["Early Esmeralda", "Octavia Brightwater"])
            #expect(try rows[1].decode(String.self, 1) == "octavia-new-5521@example.test")
            do { _ = try await d.query("SELECT * FROM cs.contact_pii(ARRAY[2]::bigint[])"); Issue.record("no key: refused") } catch let e as PGError {
                #expect(e.sqlState == "22023" && e.message.contains("private key is needed"))
            }
            do { _ = try await d.query("SELECT * FROM cs.contact_pii(ARRAY[2]::bigint[], $1)", [second.privateKey]); Issue.record("wrong key: refused") }
            catch let e as PGError { #expect(e.sqlState == "22023" && e.message.contains("wrong private key")) }

            // Export decrypts with the key; without it the request fails with the reason.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("enc-export-\(UUID().uuidString).json").path
            let ex = try await requests.file("export", .contact(2), basis: "Art. 15")
            _ = try await requests.export(request: ex, to: path, actor: "test", key: key)
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains("Octavia Brightwater"))
            let noKey = try await requests.file("export", .contact(2), basis: "Art. 15")
            await #expect(throws: PrivacyRequestError.self) { try await requests.export(request: noKey, to: path, actor: "test") }

            // Rotation: everyone re-encrypted under the new key; the old key no longer reads them.
            #expect(try await requests.rotateKey(publicKey: second.publicKey, previous: key, actor: "test") == 2)
            #expect(try await d.query("SELECT count(*) FROM cs.contact_pii(ARRAY[1, 2]::bigint[], $1)", [second.privateKey])[0].decode(Int.self, 0) == 2)
            do { _ = try await d.query("SELECT * FROM cs.contact_pii(ARRAY[1]::bigint[], $1)", [first.privateKey]); Issue.record("old key refused") }
            catch let e as PGError { #expect(e.sqlState == "22023") }
            #expect(try await d.query("SELECT count(*) FROM cs.audit_log WHERE action = 'pii_key_rotation'")[0].decode(Int.self, 0) == 2)

            // Erasure with the key finds the values in other copies and removes them.
            try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('mail', 'smtp', 'smtp://127.0.0.1:2525')")
            try await d.execute("INSERT INTO cs.jobs (kind, args) VALUES ('noop', '{\"note\": \"ring Octavia Brightwater\"}')")
            let er = try await requests.file("erase", .contact(2), basis: "Art. 17")
            await #expect(throws: PrivacyRequestError.self, "without the key the erasure cannot find the copies") {
                try await requests.erase(request: er, actor: "test")
            }
            _ = try await requests.erase(request: er, actor: "test", key: PIIKey(armored: second.privateKey))
            let after = try ErasureTests.dump(db.url)
            #expect(!after.contains("Octavia Brightwater"))
        }
    }
}
