// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

var (
	// ErrAgentUnsupported means the guest agent answered but cannot run guest-network-get-interfaces
	// (QGA error classes Unsupported, CommandNotFound, CommandDisabled). Retrying will not help.
	ErrAgentUnsupported = errors.New("guest agent does not support network-get-interfaces")
	// ErrAgentFailed is any other in-band QGA error.
	ErrAgentFailed = errors.New("guest agent network-get-interfaces failed")
)

// AgentError is a QGA error that PVE passes through in-band with HTTP 200: {"result":{"error":{...}}}.
// errors.Is matches ErrAgentUnsupported or ErrAgentFailed depending on Class.
type AgentError struct {
	Class string // "Unsupported", "GenericError", ...
	Desc  string
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Unwrap(), e.Class, e.Desc)
}

func (e *AgentError) Unwrap() error {
	switch e.Class {
	case "Unsupported", "CommandNotFound", "CommandDisabled":
		return ErrAgentUnsupported
	}
	return ErrAgentFailed
}

// ParseAgentInterfaces decodes the data member of GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces:
// {"result":[...]} or {"result":{"error":{"class":...,"desc":...}}}, the latter returned as *AgentError.
func ParseAgentInterfaces(data json.RawMessage) ([]InterfaceAddrs, error) {
	var envelope struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return nil, fmt.Errorf("decode agent network-get-interfaces: %w", err)
	}
	result := bytes.TrimSpace(envelope.Result)
	switch {
	case len(result) == 0 || string(result) == "null":
		return nil, errors.New("decode agent network-get-interfaces: missing \"result\"")
	case result[0] == '{':
		var obj struct {
			Error *struct {
				Class json.RawMessage `json:"class"`
				Desc  json.RawMessage `json:"desc"`
			} `json:"error"`
		}
		if err := json.Unmarshal(result, &obj); err != nil {
			return nil, fmt.Errorf("decode agent network-get-interfaces error object: %w", err)
		}
		if obj.Error == nil {
			return nil, errors.New("decode agent network-get-interfaces: \"result\" is an object without \"error\"")
		}
		return nil, &AgentError{Class: rawString(obj.Error.Class), Desc: rawString(obj.Error.Desc)}
	}
	var list []guestIface
	if err := json.Unmarshal(result, &list); err != nil {
		return nil, fmt.Errorf("decode agent network-get-interfaces result: %w", err)
	}
	return toInterfaceAddrsList(list), nil
}
