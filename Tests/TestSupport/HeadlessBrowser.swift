// HeadlessBrowser: opens a page in Debian's headless Chromium through Selenium
// (Tests/browser/render_page.py) and reports what rendered, with a PNG screenshot.
import Foundation

/// What the browser laid out (see Tests/browser/render_page.py).
public struct BrowserRendering: Decodable, Sendable {
    public let title: String
    public let svg: Int, svgDrawn: Int, paths: Int, rects: Int, circles: Int, cells: Int
    public let tables: Int, rows: Int, bodyHeight: Int
    /// Share of the screenshot that is not white.
    public let pngInk: Double
    public let consoleErrors: [String]
}

public enum HeadlessBrowser {
    /// Where screenshots are kept after a run (ignored by git).
    public static let artifacts = TestEnvironment.repoRoot.appendingPathComponent("test-artifacts")

    /// Renders `page` (a file path or URL) and saves `screenshot` under `artifacts`.
    /// Throws with the script's output when Chromium or Selenium is missing
    /// (`ops/install-deps.sh --tests` installs both).
    public static func render(_ page: String, screenshot: String, width: Int = 1100) async throws -> BrowserRendering {
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent(screenshot).path
        let python = TestEnvironment.repoRoot.appendingPathComponent(".venv/bin/python").path
        let script = TestEnvironment.repoRoot.appendingPathComponent("Tests/browser/render_page.py").path
        // Chromium takes seconds to start: run it off the cooperative pool.
        let (status, out, err) = try await withCheckedThrowingContinuation { (k: CheckedContinuation<(Int32, Data, Data), Error>) in
            DispatchQueue.global().async {
                do {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: python)
                    p.arguments = [script, page, png, "--width", String(width)]
                    let o = Pipe(), e = Pipe()
                    p.standardOutput = o
                    p.standardError = e
                    try p.run()
                    let out = o.fileHandleForReading.readDataToEndOfFile()
                    let err = e.fileHandleForReading.readDataToEndOfFile()
                    p.waitUntilExit()
                    k.resume(returning: (p.terminationStatus, out, err))
                } catch {
                    k.resume(throwing: error)
                }
            }
        }
        guard status == 0 else {
            throw TestSetupError("headless Chromium failed (\(status)): \(String(decoding: err.suffix(800), as: UTF8.self)) — run ops/install-deps.sh --tests")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(BrowserRendering.self, from: out)
    }
}
