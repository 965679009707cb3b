package bedrock_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/bedrock"
)

// A ConverseStream handler drains the upstream stream into a StreamEncoder,
// one chunk at a time, and finishes with the usage and latency. (A real
// handler sets Content-Type to bedrock.ContentType, flushes after each
// chunk, and on a Recv error calls bedrock.WriteStreamError instead.)
func ExampleStreamEncoder() {
	upstream := &llm.SliceStream{Chunks: []*llm.Chunk{
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, Content: "Hi"}}}},
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{
			{ID: "call_1", Name: "lookup", Arguments: `{"q":"x"}`}}}, FinishReason: llm.FinishToolCalls}}},
		{Usage: &llm.Usage{PromptTokens: 9, CompletionTokens: 4, TotalTokens: 13}},
	}}
	var body bytes.Buffer
	enc := bedrock.NewStreamEncoder(&body)
	for {
		c, err := upstream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err := enc.WriteChunk(c); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := enc.Finish(nil, 120*time.Millisecond); err != nil {
		fmt.Println(err)
		return
	}

	dec := eventstream.NewDecoder()
	for {
		msg, err := dec.Decode(&body, nil)
		if err != nil {
			break
		}
		fmt.Printf("%s %s\n", msg.Headers.Get(":event-type"), msg.Payload)
	}
	// Output:
	// messageStart {"role":"assistant"}
	// contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"Hi"}}
	// contentBlockStop {"contentBlockIndex":0}
	// contentBlockStart {"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"call_1","name":"lookup"}}}
	// contentBlockDelta {"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"q\":\"x\"}"}}}
	// contentBlockStop {"contentBlockIndex":1}
	// messageStop {"stopReason":"tool_use"}
	// metadata {"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":120}}
}
