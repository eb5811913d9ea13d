extension OSSQueryItem {
    /// Parses a raw URL query (the part after `?`, without it) into decoded items in wire order.
    ///
    /// `name` gives `value == nil` (a valueless flag), `name=` gives `""`. Empty pieces (`a&&b`, a trailing `&`)
    /// are skipped. `+` stays a literal plus unless `plusAsSpace` (form encoding) is set. Returns nil when a
    /// name or value has a malformed `%` escape or decodes to invalid UTF-8.
    public static func parse(query: String, plusAsSpace: Bool = false) -> [OSSQueryItem]? {
        var items: [OSSQueryItem] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let rawName: Substring
            let rawValue: Substring?
            if let equals = piece.firstIndex(of: "=") {
                rawName = piece[..<equals]
                rawValue = piece[piece.index(after: equals)...]
            } else {
                rawName = piece
                rawValue = nil
            }
            guard let name = OSSPercentEncoding.decode(String(rawName), plusAsSpace: plusAsSpace) else { return nil }
            if let rawValue {
                guard let value = OSSPercentEncoding.decode(String(rawValue), plusAsSpace: plusAsSpace) else { return nil }
                items.append(OSSQueryItem(name: name, value: value))
            } else {
                items.append(OSSQueryItem(name: name))
            }
        }
        return items
    }

    /// Encodes items as a raw URL query (RFC 3986, `/` encoded too), in the given order; a nil value gives a bare
    /// name.
    public static func encode(_ items: [OSSQueryItem]) -> String {
        items.map { item in
            let name = OSSPercentEncoding.encode(item.name, keepSlash: false)
            guard let value = item.value else { return name }
            return name + "=" + OSSPercentEncoding.encode(value, keepSlash: false)
        }.joined(separator: "&")
    }
}
