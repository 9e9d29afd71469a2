package postgres

// ChangePayloadSQL and ChangePayloadArgs are changePayloadSQL and changePayloadArgs, for
// the external test package.
var (
	ChangePayloadSQL  = changePayloadSQL
	ChangePayloadArgs = changePayloadArgs
)
