/// Decodes one log file on a worker thread: stream records, skip unwanted sources by their raw
/// `eventSource` bytes, parse and normalise the rest, hand them to the writer in chunks.
struct FileDecoder {
    var limits: ReaderLimits
    var storeAllSources: Bool
    /// The stage that parses digest files (`IngestHooks.digestFiles`).
    var digestStep: IngestFileStep?
    var chunkSize = 512

    struct Cancelled: Error {}
    /// A JSON file none of whose values is a CloudTrail record or a known document.
    struct NotCloudTrail: Error {}

    /// `buffers` belongs to the calling thread: reused for every file it decodes.
    func decode(_ file: DiscoveredFile, into handoff: FileHandoff, buffers: ReadBuffers) {
        do {
            let result = try decodeLog(file, handoff, buffers)
            handoff.finish(.success(result))
        } catch {
            handoff.finish(.failure(error))
        }
    }

    private func decodeLog(_ file: DiscoveredFile, _ handoff: FileHandoff, _ buffers: ReadBuffers) throws -> DecodedFile {
        if file.kind == .digest {
            let whole = try RecordReader.readWhole(path: file.path, maxBytes: Int(min(limits.maxInflatedBytes, 64 << 20)))
            do { _ = try JSONTape(parsing: whole.content, maxDepth: limits.maxDepth) } catch let e as JSONTapeError {
                throw InputError.json(file: file.path, offset: Int64(e.offset), reason: e.reason)
            }
            let store = try digestStep?.decode(whole.content, file.path, file.objectKey)
            let read = FileReadResult(shape: .singleRecord, records: 0, gzip: whole.gzip, fileBytes: file.size,
                                      contentBytes: Int64(whole.content.count), fileSHA256: whole.fileSHA256,
                                      contentSHA256: whole.contentSHA256)
            return DecodedFile(read: read, sourceCounts: [], firstEventTime: nil, lastEventTime: nil, storeDigest: store)
        }

        var tally = SourceTally(storeAll: storeAllSources)
        var chunk = EventChunk()
        var first: String?
        var last: String?
        var document: DocumentInput?
        var rejected: [RejectedRecord] = []
        var notEvents = 0
        var read = try RecordReader.read(path: file.path, limits: limits, buffers: buffers) { ref in
            if ref.eventSource == nil {
                let tape = try parse(ref, file)
                // Perhaps a key policy or inventory file rather than an event.
                if ref.index == 0, let kind = DocumentInput.kind(of: tape.root) {
                    if let problem = DocumentInput.problem(tape.root, kind: kind) {
                        throw InputError.document(file: file.path, what: DocumentInput.command(kind), reason: problem)
                    }
                    let place = DocumentInput.locate(path: file.path, kind: kind)
                    document = DocumentInput(kind: kind, keyARN: place.keyARN, account: place.account,
                                             region: place.region, content: Array(ref.bytes))
                    return
                }
                // Neither an event nor a document: some other JSON (a tool's output file).
                if tape.root["eventID"] == nil { notEvents += 1 }
            }
            if document != nil {
                throw InputError.shape(file: file.path, reason: "a policy or inventory document followed by more records")
            }
            var slot = tally.slot(for: ref.eventSource)
            var tape: JSONTape?
            if let source = ref.eventSource, source.contains(0x5C) {
                // An escaped eventSource ("kms\u002eamazonaws.com"): decode it properly.
                tape = try parse(ref, file)
                let decoded = Array((tape!.root["eventSource"]?.string ?? "").utf8)
                slot = decoded.withUnsafeBytes { tally.slot(for: $0) }
            }
            tally.countRecord(slot)
            guard tally.isWanted(slot) else { return }
            let record = try tape ?? parse(ref, file)
            let event: NormalisedEvent
            do {
                event = try EventNormaliser.normalise(record.root, index: ref.index)
            } catch let invalid as EventNormaliser.Invalid {
                rejected.append(RejectedRecord(index: ref.index, offset: ref.offset, reason: invalid.reason, raw: Array(ref.bytes)))
                return
            }
            tally.countStored(slot)
            if first == nil || event.eventTime < first! { first = event.eventTime }
            if last == nil || event.eventTime > last! { last = event.eventTime }
            chunk.append(event, raw: ref.bytes)
            if chunk.count >= chunkSize {
                guard handoff.put(chunk) else { throw Cancelled() }
                chunk = EventChunk()
            }
        }
        if !chunk.isEmpty { guard handoff.put(chunk) else { throw Cancelled() } }
        if document != nil { read.records = 0 }
        if document == nil, read.records > 0, notEvents == read.records {
            // JSON that holds no CloudTrail record at all: not an input of ours.
            throw NotCloudTrail()
        }
        return DecodedFile(read: read, sourceCounts: tally.summary, firstEventTime: first, lastEventTime: last,
                           document: document, rejected: rejected)
    }

    private func parse(_ ref: RecordRef, _ file: DiscoveredFile) throws -> JSONTape {
        do {
            return try JSONTape(parsing: ref.bytes, maxDepth: limits.maxDepth)
        } catch let e as JSONTapeError {
            throw InputError.json(file: file.path, offset: ref.offset + Int64(e.offset), reason: e.reason)
        }
    }
}
