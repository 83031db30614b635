import CCurl
import Foundation
import OCI

/// One HTTP request as the registry client makes it.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case data(Data)
        /// Bytes streamed from a file, never held in memory.
        case file(path: String, size: Int64)
    }

    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Body
    /// The whole exchange must end within this many seconds, however the bytes trickle in: the
    /// low-speed limit alone lets a registry drip a small document for minutes.
    public var timeout: Double

    public init(_ method: String, _ url: String, headers: [(String, String)] = [], body: Body = .none, timeout: Double = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The deadline for moving `bytes`: 30 s, and 1 s more per 128 kB (a 1 GB layer gets 2 hours).
    public static func timeout(forBytes bytes: Int64) -> Double { 30 + Double(max(0, bytes)) / Double(128 << 10) }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; a repeated header keeps every value.
    public var headers: [String: [String]]
    public var body: Data

    public func header(_ name: String) -> String? { headers[name.lowercased()]?.first }
}

/// Where a response body goes: memory (capped, for manifests and errors) or a file, hashed on the way.
/// Every body is bounded: a registry that sends more than it may is cut off, never read to its end.
public final class ResponseSink: @unchecked Sendable {
    let limit: Int64
    var data = Data()
    let fd: Int32?
    let hasher: SHA256?
    var written: Int64 = 0
    public internal(set) var failure: String?
    public internal(set) var overLimit = false
    /// An error body longer than `errorLimit`: the transfer was stopped there, the status stands.
    public internal(set) var errorCut = false

    /// What an error body may hold: the distribution spec's error JSON is a few hundred bytes.
    public static let errorLimit = 64 << 10

    /// Bodies kept in memory: manifests are capped at 4 MB by the distribution spec; errors are small.
    public static func memory(limit: Int = 4 << 20) -> ResponseSink { ResponseSink(limit: Int64(limit), fd: nil, algorithm: "sha256") }

    /// A blob into a file, hashed with the algorithm of the digest it must match, and never more
    /// than the `limit` bytes its descriptor names.
    public static func file(_ fd: Int32, limit: Int64, algorithm: String = "sha256") -> ResponseSink {
        ResponseSink(limit: limit, fd: fd, algorithm: algorithm)
    }

    init(limit: Int64, fd: Int32?, algorithm: String) {
        self.limit = limit
        self.fd = fd
        hasher = fd == nil ? nil : SHA256(algorithm: algorithm)
    }

    /// Bodies of error responses are read into memory even when a file was asked for.
    var errorBody = Data()

    public func append(_ buf: UnsafeRawBufferPointer, status: Int) -> Bool {
        if !(200..<300).contains(status) {
            let room = ResponseSink.errorLimit - errorBody.count
            errorBody.append(contentsOf: buf.prefix(room))
            if buf.count > room {
                errorCut = true
                return false
            }
            return true
        }
        guard written + Int64(buf.count) <= limit else {
            overLimit = true
            failure = fd == nil ? "response larger than \(limit) bytes" : "the registry sent more than the \(limit) bytes the descriptor names"
            return false
        }
        if let fd {
            hasher?.update(buf)
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return false
                }
                off += n
            }
            written += Int64(buf.count)
            return true
        }
        written += Int64(buf.count)
        data.append(contentsOf: buf)
        return true
    }

    public func digest() -> Digest? { hasher?.finalize() }
}

/// Sends one HTTP exchange; the registry client's seam, so its auth, retry and redirect rules can
/// be tested against a fake transport. Transport failures throw `TransportError`; any status returns.
public protocol HTTPTransport: AnyObject, Sendable {
    func perform(_ request: HTTPRequest, sink: ResponseSink, progress: ((Int64) -> Void)?) throws -> HTTPResponse
}

/// A libcurl easy handle, reused so its connections stay open between requests to one host.
/// Redirects are not followed here: the client follows them itself so that credentials never
/// reach another host.
public final class CurlSession: HTTPTransport, @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    public let caFile: String?

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init(caFile: String?) {
        _ = CurlSession.globalInit
        handle = curl_easy_init()
        self.caFile = caFile
    }

    deinit { curl_easy_cleanup(handle) }

    final class Transfer {
        var status = 0
        var headers: [String: [String]] = [:]
        let sink: ResponseSink
        var upload: Int32 = -1
        var uploadData: Data?
        var uploadOffset = 0
        var uploadFailure: String?
        var progress: ((Int64) -> Void)?
        var sent: Int64 = 0

        init(sink: ResponseSink) { self.sink = sink }
    }

    /// Performs one request; transport failures throw, any HTTP status returns.
    public func perform(_ request: HTTPRequest, sink: ResponseSink, progress: ((Int64) -> Void)?) throws -> HTTPResponse {
        curl_easy_reset(handle)
        let transfer = Transfer(sink: sink)
        transfer.progress = progress
        let me = Unmanaged.passRetained(transfer)
        defer { me.release() }
        let ud = me.toOpaque()
        func long(_ o: CURLoption, _ v: Int) { imagectl_curl_setopt_long(handle, o, v) }
        // A second fence behind the client's redirect rules: libcurl here speaks FILE, GOPHER, DICT,
        // FTP, SMB and more, and a URL from a registry must never reach any of them.
        imagectl_curl_setopt_ptr(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        imagectl_curl_setopt_ptr(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        imagectl_curl_setopt_ptr(handle, CURLOPT_URL, request.url)
        long(CURLOPT_NOSIGNAL, 1)
        long(CURLOPT_FOLLOWLOCATION, 0)
        long(CURLOPT_TIMEOUT_MS, Int(min(request.timeout, 86_400) * 1000))
        // Well inside the deadline, so a dropped SYN is a connection failure to retry, not a server
        // that was too slow to wait for again.
        long(CURLOPT_CONNECTTIMEOUT, 10)
        // A transfer slower than 1 kB/s for a minute is stalled: fail it so the retry policy can act.
        long(CURLOPT_LOW_SPEED_LIMIT, 1024)
        long(CURLOPT_LOW_SPEED_TIME, 60)
        long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        long(CURLOPT_SSL_VERIFYPEER, 1)
        long(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile { imagectl_curl_setopt_ptr(handle, CURLOPT_CAINFO, caFile) }
        long(CURLOPT_TCP_KEEPALIVE, 1)

        var list: UnsafeMutablePointer<curl_slist>?
        for (k, v) in request.headers { list = curl_slist_append(list, "\(k): \(v)") }
        // libcurl would otherwise send "Expect: 100-continue" and wait before large uploads.
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }
        imagectl_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list)

        imagectl_curl_setopt_io(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, user in
            let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            return t.sink.append(UnsafeRawBufferPointer(start: buffer, count: n), status: t.status) ? n : 0
        }
        imagectl_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, ud)
        imagectl_curl_setopt_io(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, user in
            let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: n), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("HTTP/") {
                // A new response (after 100 Continue, say): start its headers afresh.
                t.headers = [:]
                let parts = line.split(separator: " ")
                t.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            } else if let colon = line.firstIndex(of: ":") {
                let k = line[..<colon].lowercased()
                let v = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                t.headers[k, default: []].append(v)
            }
            return n
        }
        imagectl_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, ud)

        switch request.method {
        case "GET": long(CURLOPT_HTTPGET, 1)
        case "HEAD": long(CURLOPT_NOBODY, 1)
        default: imagectl_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        switch request.body {
        case .none:
            if request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
                long(CURLOPT_POST, 1)
                long(CURLOPT_POSTFIELDSIZE, 0)
                imagectl_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, request.method)
            }
        case .data(let data):
            transfer.uploadData = data
            try configureUpload(size: Int64(data.count), ud: ud)
        case .file(let path, let size):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RegistryError.transport(path, String(cString: strerror(errno))) }
            transfer.upload = fd
            try configureUpload(size: size, ud: ud)
        }
        defer { if transfer.upload >= 0 { close(transfer.upload) } }

        let began = Date()
        let rc = curl_easy_perform(handle)
        // Errors are printed: upload locations and storage redirects carry signed state in their query.
        let shown = RequestTrace.redact(request.url)
        if let failure = transfer.uploadFailure { throw RegistryError.transport(shown, failure) }
        var status = 0
        imagectl_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if sink.errorCut { return HTTPResponse(status: status, headers: transfer.headers, body: sink.errorBody) }
        guard rc == CURLE_OK else {
            if sink.overLimit, sink.fd == nil { throw RegistryError.tooLarge(url: shown, limit: Int(sink.limit)) }
            if let failure = sink.failure { throw RegistryError.transport(shown, failure) }
            let code = Int(rc.rawValue)
            // libcurl reports a header over its 100 kB limit as "Out of memory" (newer versions: 100).
            let overdue = code == 28 && Date().timeIntervalSince(began) >= request.timeout - 0.5
            let message = code == 27 || code == 100 ? "the response headers are too large (over 100 kB)"
                : overdue ? "no complete answer within \(Int(request.timeout)) s" : String(cString: curl_easy_strerror(rc))
            throw TransportError(code: code, message: message, url: shown, isDeadline: overdue)
        }
        let body = (200..<300).contains(status) ? sink.data : sink.errorBody
        return HTTPResponse(status: status, headers: transfer.headers, body: body)
    }

    private func configureUpload(size: Int64, ud: UnsafeMutableRawPointer) throws {
        imagectl_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        imagectl_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(size))
        imagectl_curl_setopt_io(handle, CURLOPT_READFUNCTION) { buffer, size, count, user in
            let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            let want = size * count
            if let data = t.uploadData {
                let n = min(want, data.count - t.uploadOffset)
                data.withUnsafeBytes { src in
                    if n > 0 { memcpy(buffer!, src.baseAddress! + t.uploadOffset, n) }
                }
                t.uploadOffset += n
                return n
            }
            while true {
                let n = read(t.upload, buffer, want)
                if n < 0 {
                    if errno == EINTR { continue }
                    t.uploadFailure = String(cString: strerror(errno))
                    return Int(CURL_READFUNC_ABORT)
                }
                t.sent += Int64(n)
                t.progress?(Int64(n))
                return n
            }
        }
        imagectl_curl_setopt_ptr(handle, CURLOPT_READDATA, ud)
    }
}

/// A failure below HTTP: DNS, connection, TLS, timeouts, resets.
public struct TransportError: Error, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var url: String
    /// The request's overall deadline passed: the server answers, too slowly to wait for again.
    public var isDeadline = false

    public var description: String { message }

    /// TLS failures are not worth retrying; everything else may pass on a second try.
    public var isTLS: Bool { code == 35 || isCertificateProblem }

    /// The server speaks TLS but its certificate is not trusted (as opposed to a server that does
    /// not speak TLS at all, code 35, which plain HTTP may then reach).
    public var isCertificateProblem: Bool { [51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91].contains(code) }
}
